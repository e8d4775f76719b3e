/** Early writeback of the local store: the default threshold, and SNAPSTREAM_LOCAL_WRITEBACK_BYTES read at the edge. */
export const DEFAULT_WRITEBACK_BYTES = 64 * 1024 * 1024;

/**
 * Once this many bytes were written since the last flush, an fdatasync starts in the background while
 * later parts keep coming, so the kernel writes the stream out as it arrives instead of all of it in the
 * final fsync. SNAPSTREAM_LOCAL_WRITEBACK_BYTES overrides it (read once, by readStoreEnv); 0 turns it off;
 * anything that is not a whole number of bytes keeps the default.
 */
export function writebackBytes(env: NodeJS.ProcessEnv): number {
  const v = env.SNAPSTREAM_LOCAL_WRITEBACK_BYTES?.trim();
  const n = v === undefined || v === '' ? NaN : Number(v);
  return Number.isInteger(n) && n >= 0 ? n : DEFAULT_WRITEBACK_BYTES;
}
