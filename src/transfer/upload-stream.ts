import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, abortedError, toSnapstreamError } from '../errors.js';
import type { MultipartUpload, StoreLimits } from '../store/object-store.js';
import { BufferPool } from './buffer-pool.js';
import type { HasherFactory } from './hasher.js';
import type { ManifestPart } from './manifest.js';
import { type PartPlan, partSizeFor } from './part-plan.js';
import type { ProgressMeter } from './progress.js';
import { DEFAULT_RETRY, sleep, withRetry } from './retry.js';

export interface UploadStreamOptions {
  upload: MultipartUpload;
  limits: StoreLimits;
  plan: PartPlan;
  /** Parts in flight at once (ignored, i.e. 1, for stores that need parts in order). */
  concurrency: number;
  hasher: HasherFactory;
  meter: ProgressMeter;
  /** Aborting stops reading and fails the upload; the caller aborts the MultipartUpload. */
  signal: AbortSignal;
  log: Logger;
  /** Average bytes per second cap (0 / undefined = unlimited). */
  rateLimitBytesPerSec?: number;
}

export interface UploadStreamResult {
  size: number;
  parts: ManifestPart[];
  streamHash: string;
}

/**
 * Cuts `source` into parts, hashes each part and the whole stream, and uploads parts with bounded
 * concurrency. Memory is bounded by construction: a pool of (concurrency + 1) part buffers; reading
 * waits for a free buffer, so a slow store pauses the source (zfs send blocks on its full pipe) and
 * nothing buffers without limit. Does not complete or abort the upload: the caller decides that
 * after it knows whether the source (zfs send) itself succeeded.
 */
export async function uploadStream(source: Readable, o: UploadStreamOptions): Promise<UploadStreamResult> {
  const parallel = o.limits.parallelParts;
  const concurrency = parallel ? Math.max(1, o.concurrency) : 1;
  const pool = new BufferPool(concurrency + 1);
  const streamHasher = o.hasher.create();
  const parts: ManifestPart[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: SnapstreamError | undefined;
  let chain: Promise<void> = Promise.resolve();
  const started = Date.now();

  const fail = (e: unknown) => {
    failure ??= toSnapstreamError(e, ErrorCode.STORE_FAILED);
  };

  const send = async (n: number, offset: number, data: Buffer): Promise<void> => {
    try {
      await withRetry(
        () => o.upload.uploadPart({ number: n, offset, data }, { signal: o.signal }),
        {
          ...DEFAULT_RETRY,
          signal: o.signal,
          onRetry: (err, attempt) => {
            o.meter.partsRetried++;
            o.log.warn({ part: n, attempt, err: (err as Error).message }, 'part upload failed, retrying');
          },
        },
      );
      o.meter.touch();
    } finally {
      pool.release(data);
    }
  };

  const dispatch = async (n: number, offset: number, data: Buffer) => {
    if (parallel) {
      // A free slot first: at most `concurrency` requests, plus the buffer being filled.
      if (inflight.size >= concurrency) {
        o.meter.backpressureWaits++;
        await Promise.race(inflight);
      }
      const p = send(n, offset, data).catch(fail);
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
    } else {
      // In-order stores: each part starts after the previous one finished.
      chain = chain.then(() => (failure ? pool.release(data) : send(n, offset, data))).catch(fail);
    }
  };

  let n = 1;
  let offset = 0;
  let size = partSizeFor(o.plan, n);
  let buf = await acquire(pool, size, o);
  let fill = 0;
  // Each part is hashed slice by slice as it is copied in, while the bytes are still in cache.
  let partHasher = o.hasher.create();

  /** Copies what fits of chunk[pos..] into the part buffer; returns the new position in the chunk. */
  const absorb = (chunk: Buffer, pos: number): number => {
    const take = Math.min(chunk.length - pos, size - fill);
    if (take === 0) return pos;
    const slice = pos === 0 && take === chunk.length ? chunk : chunk.subarray(pos, pos + take);
    partHasher.update(slice);
    buf.set(slice, fill);
    fill += take;
    return pos + take;
  };

  /** The part buffer is full: record it, hand it to the store, and wait for the next buffer. */
  const nextPart = async (): Promise<void> => {
    parts.push({ n, offset, size: fill, xxh64: partHasher.digestHex() });
    await dispatch(n, offset, buf);
    offset += fill;
    n++;
    o.meter.part = n;
    if (o.rateLimitBytesPerSec) await throttle(offset, started, o.rateLimitBytesPerSec, o.signal);
    size = partSizeFor(o.plan, n);
    buf = await acquire(pool, size, o);
    fill = 0;
    partHasher = o.hasher.create();
  };

  try {
    await readParts(source, o.signal, {
      onChunk: (chunk) => {
        if (failure) throw failure;
        streamHasher.update(chunk);
        o.meter.add(chunk.length);
        const pos = absorb(chunk, 0);
        return fill === size ? pos : -1;
      },
      onFull: async (chunk, pos) => {
        // The source is paused here; the rest of the chunk goes into the following part(s).
        for (;;) {
          await nextPart();
          if (failure) throw failure;
          pos = absorb(chunk, pos);
          if (fill < size) return;
        }
      },
    });
    if (failure) throw failure;
    // The last part may be short; a zero-length stream still yields one (empty) part so the object exists.
    if (fill > 0 || n === 1) {
      const last = buf.subarray(0, fill);
      parts.push({ n, offset, size: fill, xxh64: partHasher.digestHex() });
      await dispatch(n, offset, last);
      offset += fill;
    } else {
      pool.release(buf);
    }
    await Promise.all([...inflight, chain]);
    if (failure) throw failure;
  } catch (e) {
    fail(e);
    // Let in-flight requests settle (they see the aborted signal) before the caller aborts the upload.
    await Promise.allSettled([...inflight, chain]);
    throw failure;
  }
  return { size: offset, parts, streamHash: streamHasher.digestHex() };
}

interface PartReader {
  /** Takes a chunk synchronously; returns -1, or the position in the chunk where a full part ended. */
  onChunk(chunk: Buffer): number;
  /** Runs with the source paused after a part filled; `pos` is where the chunk's remainder starts. */
  onFull(chunk: Buffer, pos: number): Promise<void>;
}

/**
 * Reads `source` with 'data' events rather than an async iterator: a pipe delivers ~16,000 chunks per
 * GB, and a promise and a microtask per chunk were a visible share of the agent's CPU. The source is
 * paused only while a full part is handed on (which is where backpressure reaches zfs send).
 */
function readParts(source: Readable, signal: AbortSignal, r: PartReader): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let ended = false;
    let working = false;
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', finish);
      source.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      if (err !== undefined) {
        source.pause();
        reject(err);
      } else resolve();
    };
    const onData = (chunk: Buffer) => {
      if (settled) return;
      let pos: number;
      try {
        pos = r.onChunk(chunk);
      } catch (e) {
        finish(e);
        return;
      }
      if (pos < 0) return;
      source.pause();
      working = true;
      r.onFull(chunk, pos).then(
        () => {
          working = false;
          if (ended) finish();
          else if (!settled) source.resume();
        },
        (e: unknown) => finish(e),
      );
    };
    const onEnd = () => {
      ended = true;
      if (!working) finish();
    };
    const onClose = () => {
      // Destroyed before its end (zfs send killed, or the caller gave up): not a complete stream.
      if (!ended) finish(signal.aborted ? abortedError(signal) : new SnapstreamError(ErrorCode.ZFS_FAILED, 'the send stream closed before its end'));
    };
    const onAbort = () => finish(abortedError(signal));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', finish);
    source.once('close', onClose);
  });
}

function acquire(pool: BufferPool, size: number, o: UploadStreamOptions): Promise<Buffer> {
  return pool.acquire(size, o.signal);
}

async function throttle(bytes: number, started: number, rate: number, signal: AbortSignal): Promise<void> {
  const due = started + (bytes / rate) * 1000;
  const wait = due - Date.now();
  if (wait > 0) await sleep(wait, signal);
}

export function assertPartsCover(parts: ManifestPart[], size: number): void {
  let off = 0;
  for (const p of parts) {
    if (p.offset !== off) throw new SnapstreamError(ErrorCode.INTERNAL, `part ${p.n} starts at ${p.offset}, expected ${off}`);
    off += p.size;
  }
  if (off !== size) throw new SnapstreamError(ErrorCode.INTERNAL, `parts cover ${off} bytes, stream was ${size}`);
}
