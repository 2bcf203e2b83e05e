/**
 * Where a relay cluster keeps things in Redis, and the events its nodes tell each other. Every key
 * starts with one prefix (default `patchcast:`), so one Redis can hold several clusters.
 *
 *   <p>rooms                       SET     every room's name
 *   <p>room:{R}                    STRING  the room record (room-files.ts' RoomRecord, as JSON)
 *   <p>room:{R}:v                  STRING  how many times the record was written (rotations race on it)
 *   <p>room:{R}:seq                STRING  the highest seq the room ever accepted
 *   <p>room:{R}:releases           ZSET    every SignedRelease (JSON), scored by its seq
 *   <p>blob:<sha>                  HASH    size, n: a blob's length and chunk count
 *   <p>blob:<sha>:<i>              STRING  chunk i (at most REDIS_BLOB_CHUNK_BYTES)
 *   <p>expect:<sha>                STRING  an upload a node awaits (SharedExpectation, JSON), expiring with its window
 *   <p>roster:{R}                  HASH    node → its clients of room R (roster-share.ts), expiring
 *   <p>peers                       HASH    PeerJS id → the node holding its socket (peer-route.ts)
 *   <p>nodes                       ZSET    node → end of its lease (epoch ms, Redis' clock)
 *   <p>held:<kind>:<address>       HASH    node → connections of that address it holds (cluster-limits.ts)
 *   <p>rate:<kind>:<address>       HASH    tokens, at: the address' shared token bucket
 *   <p>open-rooms                  HASH    address → rooms it created on an open relay
 *   <p>operator                    STRING  sha256 of the cluster's operator token
 *   <p>events                      channel the events below, as JSON
 *   <p>node:<node>                 channel events for one node only (PeerJS messages for its peers)
 *
 * A blob nobody published yet expires (its upload window, like the file store's garbage collector);
 * the script that accepts a release makes the blobs it names permanent, atomically with the release.
 * The Lua scripts build blob keys from the prefix, so the cluster needs one Redis (a primary, with
 * replicas if you like), not Redis Cluster.
 */
import * as v from 'valibot';
import { Count, RoomName, Sha256Hex } from '../../protocol/index.ts';

/** The key prefix when none is given. */
export const DEFAULT_REDIS_PREFIX = 'patchcast:';

/** Largest value a blob chunk takes in Redis: big blobs are many keys, never one huge value. */
export const REDIS_BLOB_CHUNK_BYTES = 256 * 1024;

/** How long an upload nobody published stays in Redis (seconds): an hour, as in the file store. */
export const REDIS_UNPUBLISHED_BLOB_TTL_S = 60 * 60;

/** The keys of one cluster. */
export function redisKeys(prefix: string) {
  return {
    prefix,
    rooms: `${prefix}rooms`,
    room: (room: string) => `${prefix}room:{${room}}`,
    roomVersion: (room: string) => `${prefix}room:{${room}}:v`,
    seq: (room: string) => `${prefix}room:{${room}}:seq`,
    releases: (room: string) => `${prefix}room:{${room}}:releases`,
    blob: (sha256: string) => `${prefix}blob:${sha256}`,
    chunk: (sha256: string, index: number) => `${prefix}blob:${sha256}:${index}`,
    expectation: (sha256: string) => `${prefix}expect:${sha256}`,
    roster: (room: string) => `${prefix}roster:{${room}}`,
    peers: `${prefix}peers`,
    nodes: `${prefix}nodes`,
    openRooms: `${prefix}open-rooms`,
    operator: `${prefix}operator`,
    events: `${prefix}events`,
    node: (node: string) => `${prefix}node:${node}`,
  } as const;
}

/** The keys of one cluster. */
export type RedisKeys = ReturnType<typeof redisKeys>;

/** An upload a node awaits (room-store.ts' SharedExpectation), in an event or under `expect:<sha>`. */
const ExpectationSchema = v.object({ sha256: Sha256Hex, room: RoomName, size: Count, until: Count });

/** What nodes tell each other (besides what they write): each names what to read again. */
export const ClusterEventSchema = v.variant('type', [
  /** A room accepted release `seq`: read the room's releases above yours. */
  v.object({ type: v.literal('release'), room: RoomName, seq: Count, node: v.string() }),
  /** A room was created or its keys changed: read its record again. */
  v.object({ type: v.literal('room'), room: RoomName, node: v.string() }),
  /** A blob was uploaded (it expires at `until` unless a release names it). */
  v.object({ type: v.literal('blob'), sha256: Sha256Hex, until: Count, node: v.string() }),
  /** A node expects these uploads (its verified release named them): any node may receive them. */
  v.object({ type: v.literal('expect'), node: v.string(), uploads: v.array(ExpectationSchema) }),
  /** A node wrote its clients of a room (or has none left): read them again. */
  v.object({ type: v.literal('roster'), room: RoomName, node: v.string() }),
  /** A node's swarm members of a room that may be suggested to players (swarm-share.ts). */
  v.object({
    type: v.literal('swarm'),
    room: RoomName,
    node: v.string(),
    members: v.pipe(
      v.array(
        v.object({
          peerId: v.pipe(v.string(), v.maxLength(64)),
          address: v.pipe(v.string(), v.maxLength(256)),
        }),
      ),
      v.maxLength(1024),
    ),
  }),
  /** A node served copies of these chunks to players with peers (deferral-share.ts). */
  v.object({
    type: v.literal('copies'),
    node: v.string(),
    sha256: Sha256Hex,
    chunks: Count,
    underBudget: v.boolean(),
    indexes: v.pipe(v.array(Count), v.maxLength(1024)),
  }),
  /** A PeerJS message for a peer whose socket the receiving node holds (sent to that node only). */
  v.object({
    type: v.literal('peer'),
    node: v.string(),
    dst: v.pipe(v.string(), v.maxLength(64)),
    message: v.pipe(v.string(), v.maxLength(1024 * 1024)),
  }),
]);

/** One event between nodes. */
export type ClusterEvent = v.InferOutput<typeof ClusterEventSchema>;

/** Parses JSON text with `schema`; null for anything else. */
function parseWith<S extends v.GenericSchema>(schema: S, text: string): v.InferOutput<S> | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = v.safeParse(schema, json);
  return parsed.success ? parsed.output : null;
}

/** Parses an expectation read from Redis (`expect:<sha>`); null for anything else. */
export function parseExpectation(text: string): v.InferOutput<typeof ExpectationSchema> | null {
  return parseWith(ExpectationSchema, text);
}

/** Parses an event off the channel; null for anything else (logged by the caller). */
export function parseClusterEvent(text: string): ClusterEvent | null {
  return parseWith(ClusterEventSchema, text);
}
