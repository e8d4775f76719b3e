import type { Writable } from 'node:stream';
import type { File } from '@google-cloud/storage';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, abortedError } from '../../errors.js';
import type { MultipartUpload, ObjectInfo, SignalOptions, UploadPart } from '../object-store.js';
import { objectInfoOf } from './object-info.js';

/**
 * Parts are handed to the library in slices of this size, each a private copy. Why copy: the caller
 * reuses a part's buffer as soon as uploadPart settles, but the library keeps the last chunk it read
 * (to resend it after a retryable socket error) and the socket may still hold it. Why slices: so
 * that what the library holds on to is at most a slice or two, not a whole part; memory stays
 * bounded by the caller's part buffers plus ~2 slices, whatever the part size.
 */
const SLICE = 1024 * 1024;

export interface ResumableUploadDeps {
  where: string;
  log: Logger;
  /** Best-effort removal of the object, for an abort that raced with the final request. */
  deleteObject: () => Promise<void>;
  mapError: (e: unknown) => SnapstreamError;
}

/**
 * One GCS resumable upload sent as a single streaming request (no `chunkSize`: chunked mode
 * finalizes after the first chunk on the emulator). GCS creates the object only when the request
 * ends, so nothing is visible under the key before complete().
 *
 * Parts must arrive strictly in order (limits.parallelParts is false). A part cannot be retried
 * once some of its bytes reached the stream: the session's byte offset has moved and this request
 * cannot rewind. So every failure of the stream is permanent for this upload (retryable: false,
 * details.restartUpload: true) and the caller starts a new upload; calling uploadPart again with a
 * part that already succeeded is a no-op, which keeps the "safe to call again" contract.
 */
export class GcsResumableUpload implements MultipartUpload {
  private readonly stream: Writable;
  private failure: SnapstreamError | undefined;
  private finished = false;
  private aborted = false;
  /** complete() sent the final request: from then on GCS may create the object. */
  private ending = false;
  /** Bytes handed to the stream, and the last part that was fully handed over. */
  private written = 0;
  private lastPart = 0;
  private busy = false;

  constructor(
    readonly key: string,
    private readonly file: File,
    private readonly deps: ResumableUploadDeps,
    opts: { contentType?: string; metadata?: Record<string, string> },
  ) {
    this.stream = file.createWriteStream({
      resumable: true,
      // crc32c of the whole stream is computed locally and compared with what GCS stored.
      validation: 'crc32c',
      metadata: {
        contentType: opts.contentType ?? 'application/octet-stream',
        ...(opts.metadata ? { metadata: opts.metadata } : {}),
      },
    });
    this.stream.on('error', (e) => this.fail(e));
  }

  private fail(e: unknown): SnapstreamError {
    if (!this.failure) {
      const mapped = this.deps.mapError(e);
      this.failure =
        mapped.code === ErrorCode.ABORTED || mapped.code === ErrorCode.NOT_FOUND
          ? mapped
          : new SnapstreamError(mapped.code, `${mapped.message} (resumable upload broken; the whole upload must restart)`, {
              cause: e,
              retryable: false,
              details: { ...mapped.details, restartUpload: true, bytesSent: this.written },
            });
    }
    return this.failure;
  }

  async uploadPart(part: UploadPart, opts: SignalOptions = {}): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.finished || this.aborted) {
      throw new SnapstreamError(ErrorCode.STORE_FAILED, `${this.deps.where}: upload of ${this.key} is already finished`);
    }
    if (part.number <= this.lastPart) return; // already sent in full: a repeat is a no-op
    if (this.busy || part.number !== this.lastPart + 1 || part.offset !== this.written) {
      throw new SnapstreamError(
        ErrorCode.INTERNAL,
        `${this.deps.where}: part ${part.number} of ${this.key} (offset ${part.offset}) out of order: GCS resumable uploads take parts one at a time in order (next is ${this.lastPart + 1} at ${this.written})`,
      );
    }
    if (opts.signal?.aborted) throw abortedError(opts.signal);
    this.busy = true;
    const onAbort = () => this.stream.destroy(abortedError(opts.signal!));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (let pos = 0; pos < part.data.length; pos += SLICE) {
        const slice = Buffer.from(part.data.subarray(pos, Math.min(pos + SLICE, part.data.length)));
        await this.write(slice);
        this.written += slice.length;
      }
      this.lastPart = part.number;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      this.busy = false;
    }
  }

  /** Resolves once the library took the chunk (write callback) and, if it asked, drained. */
  private write(chunk: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (e: unknown) => {
        cleanup();
        reject(this.fail(e));
      };
      let accepted = false;
      let needDrain = false;
      const onDrain = () => {
        needDrain = false;
        if (accepted) done();
      };
      const done = () => {
        cleanup();
        if (this.failure) reject(this.failure);
        else resolve();
      };
      const cleanup = () => {
        this.stream.off('error', onError);
        this.stream.off('drain', onDrain);
      };
      this.stream.on('error', onError);
      this.stream.on('drain', onDrain);
      needDrain = !this.stream.write(chunk, (e) => {
        if (e) return onError(e);
        accepted = true;
        if (!needDrain) done();
      });
    });
  }

  async complete(opts: SignalOptions = {}): Promise<ObjectInfo> {
    if (this.failure) throw this.failure;
    if (this.aborted) throw new SnapstreamError(ErrorCode.STORE_FAILED, `${this.deps.where}: upload of ${this.key} was aborted`);
    if (opts.signal?.aborted) throw abortedError(opts.signal);
    const onAbort = () => this.stream.destroy(abortedError(opts.signal!));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    this.ending = true;
    try {
      // 'finish' fires only after GCS answered the final request and the crc32c matched.
      await new Promise<void>((resolve, reject) => {
        this.stream.once('error', (e) => reject(this.fail(e)));
        this.stream.end((e?: Error | null) => (e ? reject(this.fail(e)) : resolve()));
      });
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    this.finished = true;
    return objectInfoOf(this.key, this.file.metadata);
  }

  async abort(): Promise<void> {
    if (this.aborted || this.finished) return;
    this.aborted = true;
    // Destroying the request before its end leaves GCS without a finalized object; the open session
    // expires on its own after a week and holds no billable data.
    this.stream.destroy();
    // Before complete() the final request was never sent, so GCS cannot have created the object and
    // an older object under the key (an overwrite) must survive. Only an abort racing complete() may
    // find the new object in place: remove it.
    if (!this.ending) return;
    try {
      await this.deps.deleteObject();
    } catch (e) {
      this.deps.log.warn({ err: e, key: this.key }, 'removing the object of an aborted GCS upload failed');
    }
  }
}
