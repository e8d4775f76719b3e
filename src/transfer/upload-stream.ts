import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { SocketPipe } from '../exec/socket-pipe.js';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, abortedError, toSnapstreamError } from '../errors.js';
import type { MultipartUpload, StoreLimits } from '../store/object-store.js';
import { BufferPool } from './buffer-pool.js';
import type { HasherFactory } from '../model/hasher.js';
import type { ManifestPart } from '../model/manifest.js';
import { type PartPlan, partSizeFor } from '../plan/part-plan.js';
import type { ProgressMeter } from './progress.js';
import { rateLimitedUpload } from '../store/decorators/rate-limited-store.js';

export interface UploadStreamOptions {
  /** From a decorated store (src/store/decorators/): its parts are retried there, not here. */
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
  /**
   * Resuming: called for each regenerated part before it is sent; true = the store already holds
   * exactly these bytes (the part is hashed, not uploaded). Throws to stop (see resume-plan.ts).
   */
  alreadyStored?: (part: ManifestPart) => boolean;
  /** Called once the store acknowledged a part (feeds the progress record). */
  onStored?: (part: ManifestPart) => void;
}

export interface UploadStreamResult {
  size: number;
  /** Bytes of parts that were already stored (a resumed upload) and not sent again. */
  skippedBytes: number;
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
export async function uploadStream(source: Readable | SocketPipe, o: UploadStreamOptions): Promise<UploadStreamResult> {
  const parallel = o.limits.parallelParts;
  const concurrency = parallel ? Math.max(1, o.concurrency) : 1;
  const pool = new BufferPool(concurrency + 1);
  const streamHasher = o.hasher.create();
  const parts: ManifestPart[] = [];
  const inflight = new Set<Promise<void>>();
  let failure: SnapstreamError | undefined;
  let chain: Promise<void> = Promise.resolve();
  // Paced on bytes sent: a resumed run re-reads its stored prefix at full speed.
  const upload = rateLimitedUpload(o.upload, o.rateLimitBytesPerSec);
  // The store's retry decorator retries (and logs) a failed part; the meter counts it for the job.
  const onRetry = () => void o.meter.partsRetried++;

  const fail = (e: unknown) => {
    failure ??= toSnapstreamError(e, ErrorCode.STORE_FAILED);
  };

  let skippedBytes = 0;
  // The SHA-256 a signing store wants of each part (S3 over http), computed alongside the part's XXH64
  // as its bytes arrive. A keyed pipeline's part digest already is that SHA-256: handed on, not redone.
  const signSha = o.limits.wantsPartSha256 === true && o.hasher.algorithm !== 'sha256';
  const signDigests = new Map<number, string>();
  const send = async (n: number, offset: number, data: Buffer): Promise<void> => {
    try {
      const sha256 = parts[n - 1]?.sha256 ?? signDigests.get(n);
      signDigests.delete(n);
      await upload.uploadPart({ number: n, offset, data, sha256 }, { signal: o.signal, onRetry });
      o.meter.touch();
      o.onStored?.(parts[n - 1]!);
    } finally {
      pool.release(data);
    }
  };

  const dispatch = async (n: number, offset: number, data: Buffer) => {
    if (o.alreadyStored?.(parts[n - 1]!)) {
      signDigests.delete(n);
      skippedBytes += data.length;
      o.meter.touch();
      pool.release(data);
      return;
    }
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
  let signHasher: Hash | undefined = signSha ? createHash('sha256') : undefined;

  /** Copies what fits of chunk[pos..] into the part buffer; returns the new position in the chunk. */
  const absorb = (chunk: Buffer, pos: number): number => {
    const take = Math.min(chunk.length - pos, size - fill);
    if (take === 0) return pos;
    const slice = pos === 0 && take === chunk.length ? chunk : chunk.subarray(pos, pos + take);
    partHasher.update(slice);
    signHasher?.update(slice);
    buf.set(slice, fill);
    fill += take;
    return pos + take;
  };

  /** The part buffer is full: record it, hand it to the store, and wait for the next buffer. */
  const nextPart = async (): Promise<void> => {
    parts.push(partRecord(o.hasher, n, offset, fill, partHasher.digestHex()));
    if (signHasher) signDigests.set(n, signHasher.digest('hex'));
    await dispatch(n, offset, buf);
    offset += fill;
    n++;
    o.meter.part = n;
    size = partSizeFor(o.plan, n);
    buf = await acquire(pool, size, o);
    fill = 0;
    partHasher = o.hasher.create();
    signHasher = signSha ? createHash('sha256') : undefined;
  };

  const reader: PartReader = {
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
  };

  try {
    if (source instanceof SocketPipe) {
      await readDirect(source, o.signal, reader, {
        next: () => (fill < size ? buf.subarray(fill) : undefined),
        landedInPlace: (into, n) => {
          // The bytes are already where they belong: hash them there, no copy.
          if (into.buffer !== buf.buffer || into.byteOffset !== buf.byteOffset + fill) return -2;
          if (failure) throw failure;
          const slice = buf.subarray(fill, fill + n);
          streamHasher.update(slice);
          partHasher.update(slice);
          signHasher?.update(slice);
          fill += n;
          o.meter.add(n);
          return fill === size ? 0 : -1;
        },
      });
    } else {
      await readParts(source, o.signal, reader);
    }
    if (failure) throw failure;
    // The last part may be short; a zero-length stream still yields one (empty) part so the object exists.
    if (fill > 0 || n === 1) {
      const last = buf.subarray(0, fill);
      parts.push(partRecord(o.hasher, n, offset, fill, partHasher.digestHex()));
      if (signHasher) signDigests.set(n, signHasher.digest('hex'));
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
  return { size: offset, skippedBytes, parts, streamHash: streamHasher.digestHex() };
}

interface PartReader {
  /** Takes a chunk synchronously; returns -1, or the position in the chunk where a full part ended. */
  onChunk(chunk: Buffer): number;
  /** Runs with the source paused after a part filled; `pos` is where the chunk's remainder starts. */
  onFull(chunk: Buffer, pos: number): Promise<void>;
}

/**
 * What both readers share: a full part is handed on with the source paused, the source resumes after,
 * and the read settles once (end of stream, error, or abort).
 */
class ReadLoop {
  settled = false;
  ended = false;
  private working = false;
  private readonly onAbort = () => this.finish(abortedError(this.signal));

  constructor(
    private readonly r: PartReader,
    private readonly signal: AbortSignal,
    private readonly resume: () => void,
    private readonly done: (err?: unknown) => void,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  readonly finish = (err?: unknown): void => {
    if (this.settled) return;
    this.settled = true;
    this.signal.removeEventListener('abort', this.onAbort);
    this.done(err);
  };

  /** Call with the source paused; it resumes once the part was handed on. */
  handOn(chunk: Buffer, pos: number): void {
    this.working = true;
    this.r.onFull(chunk, pos).then(
      () => {
        this.working = false;
        if (this.ended) this.finish();
        else if (!this.settled) this.resume();
      },
      (e: unknown) => this.finish(e),
    );
  }

  end(): void {
    this.ended = true;
    if (!this.working) this.finish();
  }
}

/**
 * Reads `source` with 'data' events rather than an async iterator: a pipe delivers ~16,000 chunks per
 * GB, and a promise and a microtask per chunk were a visible share of the agent's CPU. The source is
 * paused only while a full part is handed on (which is where backpressure reaches zfs send).
 */
function readParts(source: Readable, signal: AbortSignal, r: PartReader): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(abortedError(signal));
    const loop = new ReadLoop(r, signal, () => source.resume(), (err) => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', loop.finish);
      source.off('close', onClose);
      if (err === undefined) return resolve();
      source.pause();
      reject(err);
    });
    const onData = (chunk: Buffer) => {
      if (loop.settled) return;
      let pos: number;
      try {
        pos = r.onChunk(chunk);
      } catch (e) {
        loop.finish(e);
        return;
      }
      if (pos < 0) return;
      source.pause();
      loop.handOn(chunk, pos);
    };
    const onEnd = () => loop.end();
    const onClose = () => {
      // Destroyed before its end (zfs send killed, or the caller gave up): not a complete stream.
      if (!loop.ended) loop.finish(signal.aborted ? abortedError(signal) : new SnapstreamError(ErrorCode.ZFS_FAILED, 'the send stream closed before its end'));
    };
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', loop.finish);
    source.once('close', onClose);
  });
}

interface InPlace {
  /** The free rest of the current part buffer, or undefined when it is full. */
  next(): Uint8Array | undefined;
  /** -2: `into` is not the part buffer (copy it as a chunk); -1: taken; 0: taken and the part is full. */
  landedInPlace(into: Uint8Array, n: number): number;
}

/**
 * Reads a SocketPipe straight into the part buffers. Bytes that landed elsewhere (the pipe's spare
 * buffer, used while a part is being handed on) go through the chunk path like a pipe's chunks.
 */
function readDirect(pipe: SocketPipe, signal: AbortSignal, r: PartReader, place: InPlace): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(abortedError(signal));
    const loop = new ReadLoop(r, signal, () => pipe.resume(), (err) => {
      if (err === undefined) return resolve();
      pipe.destroy();
      reject(err);
    });
    pipe.ended.then(
      () => loop.end(),
      (e: unknown) =>
        loop.finish(signal.aborted ? abortedError(signal) : new SnapstreamError(ErrorCode.ZFS_FAILED, `the send stream broke: ${(e as Error).message}`)),
    );
    pipe.start({
      next: () => place.next() ?? EMPTY,
      landed: (into, n) => {
        if (loop.settled) return false;
        try {
          const inPlace = place.landedInPlace(into, n);
          if (inPlace === -1) return true;
          if (inPlace === 0) {
            loop.handOn(EMPTY_BUF, 0);
            return false;
          }
          // Landed in the spare buffer: a copy of it, since the spare is reused by the next read.
          const chunk = Buffer.from(into.subarray(0, n));
          const pos = r.onChunk(chunk);
          if (pos < 0) return true;
          loop.handOn(chunk, pos);
          return false;
        } catch (e) {
          loop.finish(e);
          return false;
        }
      },
    });
  });
}

const EMPTY_BUF = Buffer.alloc(0);
/** Returned as "no room": makes SocketPipe fall back to its spare buffer. */
const EMPTY: Uint8Array = EMPTY_BUF;

function acquire(pool: BufferPool, size: number, o: UploadStreamOptions): Promise<Buffer> {
  return pool.acquire(size, o.signal);
}

/** The manifest entry of a part, its digest under the hasher's own name (xxh64 or sha256). */
function partRecord(h: HasherFactory, n: number, offset: number, size: number, digest: string): ManifestPart {
  return h.algorithm === 'sha256' ? { n, offset, size, sha256: digest } : { n, offset, size, xxh64: digest };
}

export function assertPartsCover(parts: ManifestPart[], size: number): void {
  let off = 0;
  for (const p of parts) {
    if (p.offset !== off) throw new SnapstreamError(ErrorCode.INTERNAL, `part ${p.n} starts at ${p.offset}, expected ${off}`);
    off += p.size;
  }
  if (off !== size) throw new SnapstreamError(ErrorCode.INTERNAL, `parts cover ${off} bytes, stream was ${size}`);
}
