import type { SigningKey } from './crypto.js';
import { type ScriptLang, type SignedRelease, type Slot, type TextureMime } from './release.js';
/** New content for one slot, with the slot's version label and optional staged rollout. */
export type SlotInput = {
    readonly kind: 'script';
    readonly bytes: Uint8Array;
    readonly version: string;
    readonly lang?: ScriptLang;
    readonly rolloutPercent?: number;
} | {
    readonly kind: 'texture';
    readonly bytes: Uint8Array;
    readonly version: string;
    readonly mime: TextureMime;
    readonly rolloutPercent?: number;
} | {
    readonly kind: 'config';
    readonly bytes: Uint8Array;
    readonly version: string;
    readonly rolloutPercent?: number;
};
/** The slot descriptor of new content: hash, size and chunk hashes of its bytes (`chunkSize` each). */
export declare function describeSlot(input: SlotInput, chunkSize: number): Promise<Slot>;
/** The slot descriptors of several slots' new content, and their blobs (sha256 → bytes). */
export declare function describeSlots(inputs: Readonly<Record<string, SlotInput>>, chunkSize: number): Promise<{
    slots: Record<string, Slot>;
    blobs: Map<string, Uint8Array>;
}>;
/** What {@link assembleRelease} needs: everything of a release but its dates, then the clock. */
export interface AssembleInput {
    readonly room: string;
    readonly key: SigningKey;
    readonly seq: number;
    readonly version: string;
    readonly notes?: string;
    readonly slots: Readonly<Record<string, Slot>>;
    /** Signing time (default: now); the release expires `lifetimeMs` later. */
    readonly now?: Date;
    readonly lifetimeMs?: number;
}
/** Dates a release (created now, expiring after its lifetime), names the signing key and signs it. */
export declare function assembleRelease(input: AssembleInput): Promise<SignedRelease>;
