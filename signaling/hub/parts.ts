/**
 * The parts of a hub that its sessions work with: one object per job, built once by the hub and
 * shared by every session (no callbacks handed around).
 */
import type { Metrics } from '../metrics.ts';
import type { Relay } from '../relay/relay.ts';
import type { BlobFlow } from './blob-flow.ts';
import type { ClientIds } from './client-ids.ts';
import type { Connections } from './connections.ts';
import type { HubOptions } from './options.ts';
import type { ReleasePayloads } from './payloads.ts';
import type { Rooms } from './rooms.ts';
import type { SeedViews } from './seed-view.ts';

/** What a session may use. */
export interface HubParts {
  readonly options: HubOptions;
  /** The relay service: releases, slots, blobs. */
  readonly relay: Relay;
  readonly metrics: Metrics;
  /** Refusals and closes. */
  readonly connections: Connections;
  /** Client ids bound to their players' secrets. */
  readonly clientIds: ClientIds;
  /** Who is in which room; the admins' live roster. */
  readonly rooms: Rooms;
  /** Each room's latest `release` message, encoded once. */
  readonly releases: ReleasePayloads;
  /** Answers to `blob.get`. */
  readonly blobs: BlobFlow;
  /** Each room's latest seed-protocol frames, encoded once. */
  readonly seedViews: SeedViews;
}
