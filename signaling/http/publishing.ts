/**
 * What the two forms of a publish (a JSON body, a bundle: `bundle-publish.ts`) share: the relay's
 * input made from the body, and the 201 answer.
 */
import type { Request, Response } from 'express';
import type { PublishBody, Published } from '../../protocol/index.ts';
import type { AcceptedPublish, PublishInput } from '../relay/relay.ts';
import type { ApiContext } from './api-context.ts';

/**
 * The relay's input for a publish of `room` with `body`. The inline blobs stay base64 text: the relay
 * decodes only those the verified release names.
 */
export function publishInput(ctx: ApiContext, req: Request, room: string, body: PublishBody): PublishInput {
  return {
    room,
    candidate: body.signed,
    blobs: new Map(Object.entries(body.blobs ?? {})),
    mayCreate: ctx.creationOf(req) !== undefined,
    ...(body.publicKey === undefined ? {} : { publicKey: body.publicKey }),
  };
}

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
