/** The 201 answer to an accepted publish, whether its body was JSON or a bundle. */
import type { Request, Response } from 'express';
import type { Published } from '../../protocol/index.ts';
import type { AcceptedPublish } from '../relay/relay.ts';
import type { ApiContext } from './api-context.ts';

/** Answers 201 with the release's room, seq and version; a room the publish created is committed. */
export function answerPublish(
  ctx: ApiContext,
  req: Request,
  res: Response,
  room: string,
  result: AcceptedPublish,
): void {
  if (result.createdRoom) ctx.roomCreated(req, room);
  const answer: Published = { room, seq: result.signed.release.seq, version: result.signed.release.version };
  res.status(201).json(answer);
}
