/**
 * Adoption and guarded rollouts over HTTP: `GET /api/rooms/:room/adoption` (the counts per release and
 * slot; public, like the roster's count: no client ids, no error texts), and a room's plan —
 * `POST /api/rooms/:room/plans` (pre-signed steps and halt), `GET /api/rooms/:room/plan`,
 * `POST /api/rooms/:room/plan/command` (halt or advance, signed with a room key).
 */
import express, { type Router } from 'express';
import { ErrorCode, type AdoptionBody } from '../../protocol/index.ts';
import { connectedPlayers } from '../relay/adoption.ts';
import type { ApiContext } from './api-context.ts';
import { parseJson, refuse, roomParam, safe } from './respond.ts';

/** Largest plan body: up to ten signed releases and a halt, each a few kilobytes. */
export const MAX_PLAN_BODY_BYTES = 512 * 1024;
/** Largest plan command body. */
export const MAX_PLAN_COMMAND_BYTES = 4 * 1024;

/** The adoption and plan routes. */
export function adoptionRoutes(ctx: ApiContext): Router {
  const { relay, hub } = ctx.deps;
  const router = express.Router();

  router.get(
    '/api/rooms/:room/adoption',
    safe((req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const releases = relay.adoptionOf(room, connectedPlayers(hub.rosterOf(room)));
      if (!releases) return refuse(res, ErrorCode.NO_SUCH_ROOM, `no room "${room}"`);
      const body: AdoptionBody = { room, releases };
      res.set('cache-control', 'no-store').json(body);
    }),
  );

  router.get(
    '/api/rooms/:room/plan',
    safe((req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const state = relay.plans.state(room);
      if (!state) return refuse(res, ErrorCode.NO_SUCH_PLAN, `room "${room}" has had no guarded rollout`);
      res.set('cache-control', 'no-store').json(state);
    }),
  );

  type Run = (room: string, body: unknown) => ReturnType<typeof relay.plans.start>;
  const post = (path: string, source: string, limit: number, run: Run) =>
    router.post(
      path,
      ctx.gate(source, false),
      ctx.rawBody(limit),
      safe(async (req, res) => {
        const room = roomParam(req, res);
        if (room === null) return;
        const json = parseJson(req.body);
        if (!json.ok) return ctx.refuseCounted(req, res, source, ErrorCode.BAD_JSON, json.message);
        const result = await run(room, json.value);
        if (!result.ok) return ctx.refuseCounted(req, res, source, result.code, result.message);
        res.status(200).json(result.state);
      }),
    );
  post('/api/rooms/:room/plans', 'plan', MAX_PLAN_BODY_BYTES, (room, body) => relay.plans.start(room, body));
  post('/api/rooms/:room/plan/command', 'plan-command', MAX_PLAN_COMMAND_BYTES, (room, body) =>
    relay.plans.command(room, body),
  );

  return router;
}
