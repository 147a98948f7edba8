import type { StreamPosition } from '../interfaces/channel-stream.interface.js';

// STAND-IN for P2's lib/channels/recovery-check.ts (design §3.3), written here only so that the Redis
// history store compiles and is tested before the parts merge: at merge time, delete this file and import
// `canRecover`, `emptyStreamToken` and `StreamMeta` from '../channels/recovery-check.js' instead.

/** What a store knows of a channel's stream (its meta), for the recovery check. */
export interface StreamMeta {
  epoch: string;
  top: number;
  createdAt: number;
  incarnation: string;
  firstRetained: number;
}

/** The epoch given to a subscriber of a channel that has no stream: it creates no state anywhere. */
export function emptyStreamToken(incarnation: string, now: number): string {
  return `~${incarnation}~${now.toString(36)}`;
}

/** Whether every publication after `since` is still in the stream described by `meta` (design §3.3). */
export function canRecover(
  since: StreamPosition,
  meta: StreamMeta | undefined,
  now: number,
  incarnation: string,
  metaTtlMs: number,
): boolean {
  const retained = (offset: number) => meta !== undefined && offset <= meta.top && offset >= meta.firstRetained - 1;
  if (!since.epoch.startsWith('~')) return meta?.epoch === since.epoch && retained(since.offset);
  const [, tokenIncarnation, at] = since.epoch.split('~');
  const t = parseInt(at ?? '', 36);
  if (!Number.isSafeInteger(t)) return false;
  if (!meta) return tokenIncarnation === incarnation && now - t < metaTtlMs;
  return (
    meta.incarnation === tokenIncarnation &&
    t <= meta.createdAt &&
    meta.createdAt < t + metaTtlMs &&
    retained(since.offset)
  );
}
