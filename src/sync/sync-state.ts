/** The sync state of an account, and the outcome of a sync run, as stored. */
export const SYNC_STATES = ["pending", "running", "succeeded", "partial", "failed"] as const;
export type SyncState = (typeof SYNC_STATES)[number];

/** What a sync covers, as stored. */
export const SYNC_TYPES = ["full", "incremental", "single_currency"] as const;
export type SyncType = (typeof SYNC_TYPES)[number];
