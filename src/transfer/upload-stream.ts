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

  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (failure) throw failure;
      if (o.signal.aborted) throw abortedError(o.signal);
      streamHasher.update(chunk);
      o.meter.add(chunk.length);
      let pos = 0;
      while (pos < chunk.length) {
        const take = Math.min(chunk.length - pos, size - fill);
        chunk.copy(buf, fill, pos, pos + take);
        fill += take;
        pos += take;
        if (fill === size) {
          parts.push({ n, offset, size: fill, xxh64: o.hasher.hashHex(buf) });
          await dispatch(n, offset, buf);
          offset += fill;
          n++;
          o.meter.part = n;
          if (o.rateLimitBytesPerSec) await throttle(offset, started, o.rateLimitBytesPerSec, o.signal);
          size = partSizeFor(o.plan, n);
          buf = await acquire(pool, size, o);
          fill = 0;
        }
      }
    }
    if (failure) throw failure;
    // The last part may be short; a zero-length stream still yields one (empty) part so the object exists.
    if (fill > 0 || n === 1) {
      const last = buf.subarray(0, fill);
      parts.push({ n, offset, size: fill, xxh64: o.hasher.hashHex(last) });
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
