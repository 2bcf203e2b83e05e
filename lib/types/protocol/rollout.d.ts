/** The player's bucket (0–99) for one blob of one slot. */
export declare function rolloutBucket(clientId: string, slot: string, blobSha256: string): Promise<number>;
/** True when this player takes the slot's new content (always, without a rollout or at 100 %). */
export declare function inRollout(clientId: string, slot: string, blobSha256: string, percent: number | undefined): Promise<boolean>;
