/** The read side of rooms: the room list, a room's latest release, its history, roster count and keys. */
import express, { type Router } from 'express';
import {
  ErrorCode,
  type HistoryBody,
  type KeysBody,
  type RoomsBody,
  type RosterBody,
} from '../../protocol/index.ts';
import type { ApiContext } from './api-context.ts';
import { refuse, roomParam, safe } from './respond.ts';

/** The room read routes. */
export function roomRoutes(ctx: ApiContext): Router {
  const { relay, hub } = ctx.deps;
  const router = express.Router();

  router.get(
    '/api/rooms',
    safe((_req, res) => {
      const body: RoomsBody = {
        rooms: relay.rooms().map((room) => ({
          room: room.room,
          seq: room.seq,
          version: room.version,
          updatedAt: room.updatedAt,
          clients: hub.clientCount(room.room),
          keys: room.keys,
          lastSeq: room.lastSeq,
          ...(room.degraded.length > 0 ? { degraded: [...room.degraded] } : {}),
        })),
        quarantined: relay.dataDir().quarantined.map((q) => ({ room: q.room, reason: q.reason })),
      };
      res.set('cache-control', 'no-store').json(body);
    }),
  );

  router.get(
    '/api/rooms/:room/release',
    safe((req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const quarantined = relay.quarantineReason(room);
      if (quarantined !== undefined) {
        return refuse(res, ErrorCode.ROOM_QUARANTINED, `room "${room}" is quarantined: ${quarantined}`);
      }
      const latest = relay.latest(room);
      if (!latest) return refuse(res, ErrorCode.NO_SUCH_ROOM, `room "${room}" has no release`);
      res.set('cache-control', 'no-store').json(latest);
    }),
  );

  router.get(
    '/api/rooms/:room/releases',
    safe((req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const releases = relay.history(room);
      if (!releases) return refuse(res, ErrorCode.NO_SUCH_ROOM, `no room "${room}"`);
      const body: HistoryBody = { room, releases, lastSeq: relay.lastSeq(room) };
      res.set('cache-control', 'no-store').json(body);
    }),
  );

  router.get(
    '/api/rooms/:room/clients',
    safe((req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const roster = hub.rosterOf(room);
      // Counts only: entries (ids, addresses) go to admins that proved a room key over /ws.
      const body: RosterBody = {
        room,
        seq: roster.seq,
        at: roster.at,
        count: roster.clients.length,
        clients: [],
      };
      res.set('cache-control', 'no-store').json(body);
    }),
  );

  router.get(
    '/api/rooms/:room/keys',
    safe((req, res) => {
      const room = roomParam(req, res);
      if (room === null) return;
      const keys = relay.keys(room);
      if (!keys) return refuse(res, ErrorCode.NO_SUCH_ROOM, `no room "${room}"`);
      const body: KeysBody = { room, ...keys };
      res.set('cache-control', 'no-store').json(body);
    }),
  );

  return router;
}
