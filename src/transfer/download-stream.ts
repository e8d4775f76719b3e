import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { BufferPool } from './buffer-pool.js';
import type { HasherFactory } from '../model/hasher.js';
import { type Manifest, type ManifestPart, partHashOf } from '../model/manifest.js';
import type { ProgressMeter } from './progress.js';
import { downloadDedup } from '../dedup/dedup-download.js';
import type { SegmentCodec } from '../dedup/segment-codec.js';
import { rateLimited } from '../store/decorators/rate-limited-store.js';
import { readRangeInto } from '../store/decorators/read-range-into.js';
import { updateInSlices } from './hash-in-slices.js';

export interface DownloadOptions {
  /** A decorated store (src/store/decorators/): ranged reads are retried there, not here. */
  store: ObjectStore;
  manifest: Manifest;
  /** Parts fetched ahead of the writer (ranged GETs in flight). */
  window: number;
  hasher: HasherFactory;
  meter: ProgressMeter;
  signal: AbortSignal;
  log: Logger;
  /**
   * Receives verified parts strictly in order; resolves when the bytes were handed on (the buffer is
   * reused afterwards). Each part's hash is checked before it gets here, and the last part only after
   * the whole-stream hash matched, so a consumer like `zfs recv` never commits unverified data.
   */
  sink: (data: Buffer, part: ManifestPart) => Promise<void>;
  /** Average bytes per second handed to the sink; undefined = as fast as possible. */
  rateLimitBytesPerSec?: number;
  /**
   * Encrypted backups: turns a part's stored bytes (already hash-checked) into its plaintext, failing
   * on a bad tag (src/keys/part-cipher.ts). The stored buffer stays in the pool until the sink is done.
   */
  openPart?: (part: ManifestPart, stored: Buffer) => Buffer;
  /** h15-dedup: how a dedup backup's segments are checked (and decrypted); see src/dedup/segment-codec.ts. */
  dedupCodec?: SegmentCodec;
}

/**
 * Streams a backup's object through ranged GETs, a bounded window of parts at a time (memory is
 * (window + 1) x part size), verifying every part, into `sink` in order. No spool to disk.
 */
export async function downloadVerified(o: DownloadOptions): Promise<{ bytes: number }> {
  if (o.manifest.dedup) return downloadDedup(o);
  const m = o.manifest;
  const store = rateLimited(o.store, o.rateLimitBytesPerSec);
  // The store's retry decorator retries (and logs) a failed part; the meter counts it for the job.
  const onRetry = () => void o.meter.partsRetried++;
  const window = Math.max(1, o.window);
  const pool = new BufferPool(window + 1);
  const whole = o.hasher.create();
  const fetches = new Map<number, Promise<Buffer>>();
  const plainOf = new Map<number, Buffer>();
  let next = 0;

  const fetchPart = async (p: ManifestPart): Promise<Buffer> => {
    // Encrypted parts sit at their own offsets in the object, a tag longer than their plaintext.
    const at = p.storedOffset ?? p.offset;
    const len = p.storedSize ?? p.size;
    const buf = await pool.acquire(len, o.signal);
    try {
      const range = { offset: at, length: len };
      // Stores that can fill the part buffer in place do (no stream, no chunk copies); every
      // decorated store can.
      const got = store.getInto
        ? await store.getInto(m.dataKey, range, buf, { signal: o.signal, onRetry })
        : await readRangeInto(store, m.dataKey, range, buf, { signal: o.signal, onRetry });
      if (got !== len) {
        throw new SnapstreamError(
          ErrorCode.TRUNCATED,
          `backup ${m.backup}: part ${p.n} at offset ${at} returned ${got} of ${len} bytes; the stored object ${m.dataKey} is truncated`,
          { details: { part: p.n, offset: at, expected: len, actual: got } },
        );
      }
      const partHasher = o.hasher.create();
      await updateInSlices(partHasher, buf);
      const actual = partHasher.digestHex();
      const expected = partHashOf(p);
      if (actual !== expected) {
        throw new SnapstreamError(
          ErrorCode.INTEGRITY_MISMATCH,
          `backup ${m.backup}: part ${p.n} (bytes ${at}..${at + len - 1}) of ${m.dataKey} is corrupt: ` +
            `${m.hash} expected ${expected}, got ${actual}`,
          { details: { part: p.n, offset: at, size: len, expected, actual } },
        );
      }
      if (o.openPart) plainOf.set(p.n, o.openPart(p, buf));
      return buf;
    } catch (e) {
      pool.release(buf);
      throw e;
    }
  };

  const startNext = () => {
    while (next < m.parts.length && fetches.size < window) {
      const p = m.parts[next]!;
      const f = fetchPart(p);
      f.catch(() => {}); // awaited in order below; avoid unhandled rejections meanwhile
      fetches.set(p.n, f);
      next++;
    }
  };

  let bytes = 0;
  try {
    startNext();
    for (const p of m.parts) {
      const buf = await fetches.get(p.n)!;
      fetches.delete(p.n);
      await updateInSlices(whole, buf);
      const isLast = p.n === m.parts.length;
      if (isLast) {
        const actual = whole.digestHex();
        if (actual !== m.streamHash) {
          pool.release(buf);
          throw new SnapstreamError(
            ErrorCode.INTEGRITY_MISMATCH,
            `backup ${m.backup}: whole-stream ${m.hash} of ${m.dataKey} is ${actual}, manifest says ${m.streamHash}`,
            { details: { expected: m.streamHash, actual } },
          );
        }
      }
      const plain = plainOf.get(p.n) ?? buf;
      plainOf.delete(p.n);
      try {
        await o.sink(plain, p);
      } finally {
        pool.release(buf);
      }
      bytes += p.size;
      o.meter.part = p.n;
      o.meter.add(p.size);
      startNext();
    }
  } catch (e) {
    await Promise.allSettled(fetches.values());
    throw e;
  }
  return { bytes };
}

/** Reads a small object whole, refusing anything larger than `max` bytes. */
export async function readSmallObject(store: ObjectStore, key: string, max: number, signal?: AbortSignal): Promise<Buffer> {
  const body = await store.get(key, { signal });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of body as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > max) throw new SnapstreamError(ErrorCode.MANIFEST_INVALID, `${key} is larger than ${max} bytes`);
      chunks.push(c);
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks);
}
