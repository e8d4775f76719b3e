import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { StreamHasher } from '../model/hasher.js';

/** 512 KiB: ~0.1 ms of XXH64, less than what zfs recv drains from its stdin socket buffer meanwhile. */
export const HASH_SLICE_BYTES = 512 * 1024;

/**
 * Feeds `data` to `h` a slice at a time, letting the event loop run between slices. A restore hashes
 * every 8 MiB part twice on the main thread (part check, whole stream), 1-2 ms each; in one piece that
 * blocks the loop from refilling zfs recv's stdin (a ~200 KiB socket buffer, which zfs-fuse drains in
 * well under a millisecond), so the receive waits on every hash. In slices, the writes go on between
 * them. Same bytes, same digest, same CPU.
 */
export async function updateInSlices(h: StreamHasher, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length; off += HASH_SLICE_BYTES) {
    if (off > 0) await yieldToEventLoop();
    h.update(data.subarray(off, Math.min(data.length, off + HASH_SLICE_BYTES)));
  }
}
