import type { Readable } from 'node:stream';

/**
 * The one storage interface every backend implements (local directory, S3, GCS, the tests' memory
 * store). Deliberately narrow, like restic's Backend: whole-object put for small things, a multipart
 * upload for streams, ranged reads, head, list, delete.
 *
 * Backends only move bytes and classify their failures. Retry, concurrency limits, metrics and
 * logging are decorators over this same interface (src/store/decorators/), stacked in one place,
 * decorateStore(); the per-transfer rate limit is one more decorator, applied by the pipeline that
 * knows the rate. So a backend never retries on its own (SDK-internal retries are off), and every
 * caller outside src/store/ sees the decorated store.
 *
 * Keys are validated ObjectKeys (see object-key.ts); a backend may assume they are safe.
 * Errors are SnapstreamErrors: NOT_FOUND for a missing key, STORE_FAILED otherwise, with
 * `retryable` set by the backend (it knows which of its failures are transient); the retry
 * decorator asks only that flag.
 */
export interface ObjectStore {
  readonly limits: StoreLimits;
  /** Human-readable location for logs and errors; never contains credentials. */
  describe(): string;
  /** Writes a small object atomically (readers see the old state or the whole new object). */
  put(key: string, body: Buffer, opts?: PutOptions): Promise<void>;
  /** Starts a streaming upload; nothing is visible under `key` until `complete()` resolves. */
  createUpload(key: string, opts?: PutOptions): Promise<MultipartUpload>;
  /** Reads an object, or `range` of it. Rejects NOT_FOUND when absent. */
  get(key: string, opts?: GetOptions): Promise<Readable>;
  /**
   * Optional fast path of a ranged `get`: reads `range` straight into `into` (which must be at least
   * `range.length` long) and resolves with the byte count, fewer than asked only where the object
   * ends. No stream, no chunk copies: the restore's part buffers are filled in place. Same errors
   * as `get` (NOT_FOUND, STORE_FAILED with `retryable`); never resolves with a partly filled range
   * for an object that is longer. Callers fall back to `get` where a store lacks it.
   */
  getInto?(key: string, range: ByteRange, into: Buffer, opts?: SignalOptions): Promise<number>;
  /** Metadata of an object, or undefined when absent. */
  head(key: string, opts?: SignalOptions): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with `prefix`, paging internally; order is unspecified. */
  list(prefix: string, opts?: SignalOptions): AsyncIterable<ObjectInfo>;
  /** Removes an object; removing an absent object succeeds (idempotent). */
  delete(key: string, opts?: SignalOptions): Promise<void>;
  /**
   * Removes unfinished uploads under `prefix` started before `olderThan` (crashed agents leave them
   * behind and some stores bill for them). Returns how many were removed.
   */
  cleanupUploads(prefix: string, olderThan: Date, opts?: CleanupUploadsOptions): Promise<number>;
  /**
   * Reopens an unfinished upload of `key` by the `handle` an earlier MultipartUpload reported, so a
   * retried backup continues it instead of starting from byte 0. Resolves undefined when the upload
   * is gone (completed, aborted, cleaned up) or the handle is not one this store made for `key`.
   * Absent on stores that cannot resume (a GCS resumable session cannot be listed).
   */
  resumeUpload?(key: string, handle: string, opts?: SignalOptions): Promise<ResumedUpload | undefined>;
  /** Releases sockets/handles. */
  close(): Promise<void>;
}

export interface StoreLimits {
  /** Every part but the last must be at least this large (S3: 5 MiB). */
  minPartSize: number;
  /** No part may be larger (S3: 5 GiB). */
  maxPartSize: number;
  /** At most this many parts in one upload (S3: 10,000). */
  maxParts: number;
  /**
   * True when parts may be uploaded concurrently and out of order (S3 multipart, local pwrite).
   * False when parts must be written strictly in order, one at a time (a GCS resumable upload).
   */
  parallelParts: boolean;
  /**
   * True when the store signs each part's SHA-256 (S3 over plain http, payload signing on): the
   * pipeline then computes that digest as the part's bytes arrive (hot in cache, a read's worth at a
   * time) and hands it over as UploadPart.sha256. Left to the store, the 8 MiB part was hashed in one
   * piece before its request, ~10 ms with the event loop blocked, during which neither zfs send nor
   * the sockets moved (signed backups ran at 0.63x unsigned on a quiet machine).
   */
  wantsPartSha256?: boolean;
}

export interface SignalOptions {
  signal?: AbortSignal;
  /**
   * Told of every retry the retry decorator makes for this call (after a retryable failure, before
   * the next attempt), so a transfer's meter can count them. Backends ignore it.
   */
  onRetry?: (err: unknown, attempt: number) => void;
}

export interface CleanupUploadsOptions extends SignalOptions {
  /** Only report (through onUpload) what would be removed. */
  dryRun?: boolean;
  /** Uploads whose (store-relative) key this returns true for are left alone: a running job's. */
  keep?: (key: string) => boolean;
  /** Called for every unfinished upload older than the cutoff: removed, kept (by `keep`), or neither (dryRun). */
  onUpload?: (u: { key: string; started?: Date; removed: boolean; kept: boolean }) => void;
}

export interface PutOptions extends SignalOptions {
  contentType?: string;
  /** Small string metadata stored with the object (x-amz-meta-*, GCS metadata). */
  metadata?: Record<string, string>;
  /** `put` only: SHA-256 of the body (64 lowercase hex) the caller already has; see UploadPart.sha256. */
  sha256?: string;
}

export interface CompleteOptions extends SignalOptions {
  /**
   * The stream's part count n. A resumed upload may hold parts past it (from an earlier run); stores
   * that commit by part list use exactly 1..n.
   */
  partCount?: number;
  /** The stream's size; stores that write at offsets (local) cut what a resumed file holds past it. */
  size?: number;
}

export interface GetOptions extends SignalOptions {
  range?: ByteRange;
}

export interface ByteRange {
  offset: number;
  length: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified?: Date;
  etag?: string;
  metadata?: Record<string, string>;
}

export interface UploadPart {
  /** 1-based part number. */
  number: number;
  /** Byte offset of this part within the object (the local store writes at it). */
  offset: number;
  /** The bytes; the caller may reuse the buffer once uploadPart settles. */
  data: Buffer;
  /**
   * SHA-256 of `data`, 64 lowercase hex digits, when the caller computed it anyway (keyed backups hash
   * every stored part with SHA-256 for the manifest) or because the store asked for it
   * (StoreLimits.wantsPartSha256). S3 signs it as the payload hash instead of hashing the part itself;
   * the server refuses the part if the bytes do not match it.
   */
  sha256?: string;
}

export interface MultipartUpload {
  readonly key: string;
  /**
   * What resumeUpload needs to reopen this upload after a crash (S3: the UploadId; local: the temp
   * file's name); undefined when the store cannot resume it. Not a secret, but not a commit marker
   * either: only the manifest commits a backup.
   */
  readonly handle?: string;
  /** The store's receipt for a part uploaded (or found) by this object: S3's ETag. */
  receiptOf?(partNumber: number): string | undefined;
  /**
   * Makes every part whose uploadPart resolved durable (local: fsync), called before a progress
   * record names those parts as stored. Stores whose parts are durable on acknowledgement omit it.
   */
  checkpoint?(opts?: SignalOptions): Promise<void>;
  /**
   * Uploads one part. With `limits.parallelParts` several may be in flight; otherwise the caller
   * awaits each before starting the next, in order. Must be safe to call again for the same part
   * (retries resend the same bytes).
   */
  uploadPart(part: UploadPart, opts?: SignalOptions): Promise<void>;
  /** Commits parts 1..n as the object. */
  complete(opts?: CompleteOptions): Promise<ObjectInfo>;
  /**
   * Lets go of local resources (an open file) but keeps what was uploaded, so resumeUpload can
   * continue it later. Never throws. Stores that hold nothing locally omit it.
   */
  suspend?(): Promise<void>;
  /** Discards everything uploaded so far. Idempotent; never throws (best effort, logged). */
  abort(): Promise<void>;
}

/** A part as the store holds it, for checking a progress record against the server's view. */
export interface StoredPart {
  number: number;
  size: number;
  /** S3's ETag (quoted MD5 of the part for unencrypted uploads). */
  etag?: string;
}

export interface ResumedUpload {
  upload: MultipartUpload;
  /** Parts the store lists for the upload (S3 ListParts); undefined when it cannot list them. */
  parts?: StoredPart[];
  /**
   * When parts cannot be listed: bytes of the object written so far (local: the temp file's size),
   * so only recorded parts that end within it count as stored.
   */
  writtenBytes?: number;
}
