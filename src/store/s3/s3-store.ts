import { Readable } from 'node:stream';
import type {
  HeadObjectCommandOutput,
  ListMultipartUploadsCommandOutput,
  ListObjectsV2CommandOutput,
  ListPartsCommandOutput,
  S3Client,
  UploadPartCommandInput,
  UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../../errors.js';
import type { ResolvedS3Config } from './s3-config.js';
import { joinKey, validateObjectKey } from '../object-key.js';
import { S3Direct, fastPathEnabled } from './s3-direct.js';
import { S3Control } from './s3-control.js';
import { staticEnvCredentials } from './s3-credentials.js';
import type { CredentialsProvider } from './sigv4.js';
import type {
  ByteRange,
  GetOptions,
  MultipartUpload,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  CleanupUploadsOptions,
  CompleteOptions,
  ResumedUpload,
  SignalOptions,
  StoredPart,
  StoreLimits,
  UploadPart,
} from '../object-store.js';
import { redactUrl as redactOne } from '../../redact.js';

export interface S3StoreOptions {
  /** Key prefix inside the bucket under which every key lives ("" = bucket root). */
  root: string;
  log: Logger;
  /** Sockets per host; at least the upload concurrency plus room for the restore window. */
  maxSockets?: number;
  /** Page size for list (tests use a small one to exercise paging). */
  listPageSize?: number;
  /** The SNAPSTREAM_S3_* knobs as read at the edge (StoreEnv.s3Knobs); default: the process's. */
  knobs?: Readonly<Record<string, string | undefined>>;
}

/**
 * S3 and S3-compatible servers (AWS, MinIO, Ceph radosgw, Swift s3api). Uses the low-level multipart
 * calls rather than lib-storage's Upload because the transfer core needs what Upload does not give:
 * part sizes that grow mid-stream (so 10,000 parts are never exceeded for streams of unknown size),
 * a hash computed on exactly the bytes of each part, and zero-copy parts from a fixed buffer pool.
 */
export class S3Store implements ObjectStore {
  readonly limits: StoreLimits;
  readonly bucket: string;
  private readonly root: string;
  readonly log: Logger;
  private readonly pageSize: number;
  private readonly where: string;
  private readonly cfg: ResolvedS3Config;
  private readonly maxSockets: number;
  /** The SDK side (s3-sdk.ts), imported on the first call that needs it; see sdk(). */
  private sdkLoading: Promise<Sdk> | undefined;
  /** See signPartPayload(). */
  readonly signParts: boolean;
  /** The SDK-less path for the stream's bytes (ranged GETs, UploadPart); see S3Direct. */
  readonly direct: S3Direct | undefined;
  /** UploadPart through `direct` (SNAPSTREAM_S3_FAST_PUT, default on). */
  readonly directPut: boolean;
  /** Ranged `get`s (the fallback of getInto) through `control` too (SNAPSTREAM_S3_FAST_GET). */
  private readonly directGet: boolean;
  /**
   * The SDK-less path for head, get, put, create/complete/abort and delete (SNAPSTREAM_S3_FAST_CONTROL,
   * default on; see S3Control). Off where `direct` is (an endpoint only the SDK can address) and with
   * checksums=WHEN_SUPPORTED (the SDK's flexible checksums are not built here).
   */
  readonly control: S3Control | undefined;
  /**
   * Ranged reads straight into the caller's buffer, without the SDK (see S3Direct); absent where
   * that path does not apply, and the restore then uses `get`.
   */
  readonly getInto?: (key: string, range: ByteRange, into: Buffer, opts?: SignalOptions) => Promise<number>;

  constructor(cfg: ResolvedS3Config, opts: S3StoreOptions) {
    this.cfg = cfg;
    this.bucket = cfg.bucket;
    this.root = opts.root;
    this.log = opts.log;
    this.pageSize = opts.listPageSize ?? 1000;
    this.maxSockets = opts.maxSockets ?? 32;
    const knobs = opts.knobs ?? process.env;
    this.signParts = signPartPayload(cfg.endpoint, knobs);
    // Signed parts: the pipeline hashes them as they arrive (StoreLimits.wantsPartSha256).
    this.limits = { minPartSize: 5 * 1024 * 1024, maxPartSize: 5 * 1024 ** 3, maxParts: 10_000, parallelParts: true, wantsPartSha256: this.signParts };
    this.where = `s3://${cfg.bucket}${this.root ? '/' + this.root : ''}${cfg.endpoint ? ` at ${redactUrl(cfg.endpoint)}` : ''}`;
    // Keys from the environment need no SDK; every other source is the SDK client's own chain.
    const fixed = staticEnvCredentials(cfg);
    const credentials: CredentialsProvider = fixed
      ? async () => fixed
      : async () => {
          const c = await (await this.sdk()).client.config.credentials();
          return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
        };
    this.direct = S3Direct.create({ cfg, credentials, mapError: (key, e) => this.mapError(key, e), where: this.where });
    this.directPut = this.direct !== undefined && fastPathEnabled('PUT', knobs);
    this.directGet = fastPathEnabled('GET', knobs);
    this.control =
      this.direct !== undefined && cfg.checksums === 'WHEN_REQUIRED' && fastPathEnabled('CONTROL', knobs)
        ? new S3Control({ direct: this.direct, maxSockets: this.maxSockets, rejectUnauthorized: !cfg.insecureSkipTLSVerify, ...(cfg.caCertPem ? { ca: cfg.caCertPem } : {}) })
        : undefined;
    const fast = this.directGet ? this.direct : undefined;
    if (fast) {
      this.getInto = async (key, range, into, opts = {}) => {
        if (into.length < range.length) throw new SnapstreamError(ErrorCode.INTERNAL, `getInto: buffer of ${into.length} bytes for a range of ${range.length}`);
        return fast.getInto(key, this.full(key), range.offset, into.subarray(0, range.length), opts.signal);
      };
    }
  }

  /** The AWS SDK module and this store's client, loaded and made on first use. */
  sdk(): Promise<Sdk> {
    this.sdkLoading ??= import('./s3-sdk.js').then((m) => ({ m, client: m.createS3Client(this.cfg, this.maxSockets) }));
    return this.sdkLoading;
  }

  /** Runs an SDK command (made from the loaded module), mapping its errors. */
  async sdkSend<T = unknown>(key: string, make: (m: Sdk['m']) => object, signal: AbortSignal | undefined): Promise<T> {
    const { m, client } = await this.call(key, () => this.sdk());
    // Each command's own input/output types are checked where it is made; send() takes them all.
    return this.call(key, () => client.send(make(m) as never, { abortSignal: signal }) as Promise<T>);
  }

  describe(): string {
    return this.where;
  }

  private full(key: string): string {
    return joinKey(this.root, validateObjectKey(key));
  }

  private rel(fullKey: string): string {
    return this.root ? fullKey.slice(joinKey(this.root).length + 1) : fullKey;
  }

  async put(key: string, body: Buffer, opts: PutOptions = {}): Promise<void> {
    const fullKey = this.full(key);
    const control = this.control;
    if (control) return this.call(key, () => control.put(key, fullKey, body, opts));
    await this.sdkSend(
      key,
      (m) => {
        const cmd = new m.PutObjectCommand({
          Bucket: this.bucket,
          Key: fullKey,
          Body: body,
          ContentLength: body.length,
          ContentType: opts.contentType,
          Metadata: opts.metadata,
        });
        // A digest the caller has (a dedup segment's id) is signed as is: the body is not hashed again.
        if (opts.sha256 !== undefined && SHA256_HEX.test(opts.sha256)) cmd.middlewareStack.add(m.knownPayloadHash(opts.sha256), m.UNSIGNED_PAYLOAD_MW);
        return cmd;
      },
      opts.signal,
    );
  }

  async createUpload(key: string, opts: PutOptions = {}): Promise<MultipartUpload> {
    const fullKey = this.full(key);
    const control = this.control;
    const uploadId = control
      ? await this.call(key, () => control.createUpload(key, fullKey, opts))
      : (
          await this.sdkSend<{ UploadId?: string }>(
            key,
            (m) => new m.CreateMultipartUploadCommand({ Bucket: this.bucket, Key: fullKey, ContentType: opts.contentType ?? 'application/octet-stream', Metadata: opts.metadata }),
            opts.signal,
          )
        ).UploadId;
    if (!uploadId) throw new SnapstreamError(ErrorCode.STORE_FAILED, `${this.where}: no UploadId for ${key}`);
    return new S3Upload(this, key, fullKey, uploadId, opts);
  }

  /**
   * Reopens a multipart upload by its UploadId, listing the parts the server holds (ListParts, paged)
   * so the caller can check them against its progress record. NoSuchUpload (completed, aborted or
   * cleaned up) resolves undefined.
   */
  async resumeUpload(key: string, handle: string, opts: SignalOptions = {}): Promise<ResumedUpload | undefined> {
    const fullKey = this.full(key);
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    // Bounded: 10,000 parts at 1,000 a page.
    for (let page = 0; page < 20; page++) {
      let res: ListPartsCommandOutput;
      try {
        res = await this.sdkSend<ListPartsCommandOutput>(
          key,
          (m) => new m.ListPartsCommand({ Bucket: this.bucket, Key: fullKey, UploadId: handle, PartNumberMarker: marker }),
          opts.signal,
        );
      } catch (e) {
        if (e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND) return undefined;
        throw e;
      }
      for (const p of res.Parts ?? []) {
        if (p.PartNumber === undefined || !p.ETag) continue;
        parts.push({ number: p.PartNumber, size: p.Size ?? -1, etag: p.ETag });
      }
      if (!res.IsTruncated || !res.NextPartNumberMarker) break;
      marker = res.NextPartNumberMarker;
    }
    const upload = new S3Upload(this, key, fullKey, handle, { contentType: 'application/octet-stream' });
    for (const p of parts) upload.adopt(p.number, p.etag!);
    return { upload, parts };
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const r = opts.range;
    if (r && r.length === 0) return Readable.from([]);
    const fullKey = this.full(key);
    const control = this.control;
    // A ranged get is the restore's data path where getInto is off: SNAPSTREAM_S3_FAST_GET=false means the SDK's.
    if (control && (!r || this.directGet)) return this.call(key, () => control.get(key, fullKey, r, opts.signal));
    const res = await this.sdkSend<{ Body?: unknown }>(
      key,
      (m) => new m.GetObjectCommand({ Bucket: this.bucket, Key: fullKey, Range: r ? `bytes=${r.offset}-${r.offset + r.length - 1}` : undefined }),
      opts.signal,
    );
    return res.Body as Readable;
  }

  async head(key: string, opts: SignalOptions = {}): Promise<ObjectInfo | undefined> {
    const fullKey = this.full(key);
    const control = this.control;
    try {
      if (control) return await this.call(key, () => control.head(key, fullKey, opts.signal));
      const res = await this.sdkSend<HeadObjectCommandOutput>(key, (m) => new m.HeadObjectCommand({ Bucket: this.bucket, Key: fullKey }), opts.signal);
      return {
        key,
        size: res.ContentLength ?? 0,
        lastModified: res.LastModified,
        etag: res.ETag,
        metadata: res.Metadata,
      };
    } catch (e) {
      if (e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND) return undefined;
      throw e;
    }
  }

  async *list(prefix: string, opts: SignalOptions = {}): AsyncIterable<ObjectInfo> {
    const fullPrefix = this.root ? joinKey(this.root) + '/' + prefix : prefix;
    let token: string | undefined;
    do {
      const res = await this.sdkSend<ListObjectsV2CommandOutput>(
        prefix,
        (m) => new m.ListObjectsV2Command({ Bucket: this.bucket, Prefix: fullPrefix, ContinuationToken: token, MaxKeys: this.pageSize }),
        opts.signal,
      );
      for (const o of res.Contents ?? []) {
        if (!o.Key) continue;
        yield { key: this.rel(o.Key), size: o.Size ?? 0, lastModified: o.LastModified, etag: o.ETag };
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string, opts: SignalOptions = {}): Promise<void> {
    const fullKey = this.full(key);
    const control = this.control;
    try {
      if (control) await this.call(key, () => control.delete(key, fullKey, opts.signal));
      else await this.sdkSend(key, (m) => new m.DeleteObjectCommand({ Bucket: this.bucket, Key: fullKey }), opts.signal);
    } catch (e) {
      if (e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND) return;
      throw e;
    }
  }

  async cleanupUploads(prefix: string, olderThan: Date, opts: CleanupUploadsOptions = {}): Promise<number> {
    const rootPrefix = this.root ? joinKey(this.root) + '/' : '';
    const fullPrefix = rootPrefix + prefix;
    let removed = 0;
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (;;) {
      const res = await this.sdkSend<ListMultipartUploadsCommandOutput>(
        prefix,
        (m) => new m.ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: fullPrefix, KeyMarker: keyMarker, UploadIdMarker: idMarker }),
        opts.signal,
      );
      for (const u of res.Uploads ?? []) {
        if (!u.Key || !u.UploadId || (u.Initiated && u.Initiated >= olderThan)) continue;
        const key = u.Key.startsWith(rootPrefix) ? u.Key.slice(rootPrefix.length) : u.Key;
        const kept = opts.keep?.(key) === true;
        const remove = !opts.dryRun && !kept;
        if (remove) {
          await this.abortUpload(u.Key, u.UploadId);
          removed++;
        }
        opts.onUpload?.({ key, ...(u.Initiated ? { started: u.Initiated } : {}), removed: remove, kept });
      }
      if (!res.IsTruncated) break;
      keyMarker = res.NextKeyMarker;
      idMarker = res.NextUploadIdMarker;
    }
    return removed;
  }

  /** Aborts a multipart upload by full key; a vanished upload counts as aborted. */
  async abortUpload(fullKey: string, uploadId: string): Promise<void> {
    try {
      if (this.control) await this.control.abortUpload(fullKey, uploadId);
      else {
        const { m, client } = await this.sdk();
        await client.send(new m.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: fullKey, UploadId: uploadId }));
      }
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === 'NoSuchUpload' || httpStatus(e) === 404) return;
      throw this.mapError(fullKey, e);
    }
  }

  async close(): Promise<void> {
    this.direct?.close();
    this.control?.close();
    const sdk = this.sdkLoading;
    if (sdk) (await sdk.catch(() => undefined))?.client.destroy();
  }

  /** Runs an SDK call, mapping its errors to SnapstreamErrors. */
  async call<T>(key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.mapError(key, e);
    }
  }

  mapError(key: string, e: unknown): SnapstreamError {
    if (e instanceof SnapstreamError) return e;
    const name = (e as { name?: string }).name ?? '';
    const status = httpStatus(e);
    const msg = (e as Error).message || name;
    if (name === 'AbortError') return new SnapstreamError(ErrorCode.ABORTED, `${this.where}: ${key}: aborted`, { cause: e });
    if (status === 404 || name === 'NoSuchKey' || name === 'NotFound') {
      if (name === 'NoSuchBucket') {
        return new SnapstreamError(ErrorCode.NOT_FOUND, `${this.where}: bucket ${this.bucket} does not exist; create it first`, { cause: e });
      }
      return new SnapstreamError(ErrorCode.NOT_FOUND, `${this.where}: object ${key} not found`, { cause: e });
    }
    if (status === 403 || name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
      return new SnapstreamError(
        ErrorCode.STORE_FAILED,
        `${this.where}: access denied for ${key} (${name || status}); check the credentials and the bucket policy`,
        { cause: e },
      );
    }
    const net = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|socket hang up|TimeoutError/i.test(`${name} ${msg} ${(e as { code?: string }).code ?? ''}`);
    // 501 Not Implemented means the server lacks the feature (Swift answers it for some APIs): never retried.
    const retryable = net || status === undefined || (status >= 500 && status !== 501) || status === 429 || name === 'SlowDown' || name === 'RequestTimeout';
    return new SnapstreamError(ErrorCode.STORE_FAILED, `${this.where}: ${key}: ${name ? name + ': ' : ''}${msg}`, {
      cause: e,
      retryable,
      details: { httpStatus: status },
    });
  }
}

interface Sdk {
  m: typeof import('./s3-sdk.js');
  client: S3Client;
}

class S3Upload implements MultipartUpload {
  private readonly etags = new Map<number, string>();
  private finished = false;

  constructor(
    private readonly store: S3Store,
    readonly key: string,
    private readonly fullKey: string,
    private readonly uploadId: string,
    private readonly putOpts: PutOptions,
  ) {}

  get handle(): string {
    return this.uploadId;
  }

  receiptOf(partNumber: number): string | undefined {
    return this.etags.get(partNumber);
  }

  /** A part the server already holds (found by resumeUpload): complete() lists it like an uploaded one. */
  adopt(partNumber: number, etag: string): void {
    this.etags.set(partNumber, etag);
  }

  async uploadPart(part: UploadPart, opts: SignalOptions = {}): Promise<void> {
    const s = this.store;
    if (s.directPut) {
      // A digest the caller already has is signed (free, and the server checks it); else per signParts.
      const payload = part.sha256 !== undefined && SHA256_HEX.test(part.sha256) ? part.sha256 : s.signParts;
      const etag = await s.direct!.uploadPart(this.key, this.fullKey, this.uploadId, part.number, part.data, payload, opts.signal);
      this.etags.set(part.number, etag);
      return;
    }
    const res = await s.sdkSend<{ ETag?: string }>(
      this.key,
      (m) => {
        const cmd = new m.UploadPartCommand({
          Bucket: s.bucket,
          Key: this.fullKey,
          UploadId: this.uploadId,
          PartNumber: part.number,
          Body: part.data,
          ContentLength: part.data.length,
        });
        if (part.sha256 !== undefined && SHA256_HEX.test(part.sha256)) cmd.middlewareStack.add(m.knownPayloadHash<UploadPartCommandInput, UploadPartCommandOutput>(part.sha256), m.UNSIGNED_PAYLOAD_MW);
        else if (!s.signParts) cmd.middlewareStack.add(m.unsignedPayload<UploadPartCommandInput, UploadPartCommandOutput>(), m.UNSIGNED_PAYLOAD_MW);
        return cmd;
      },
      opts.signal,
    );
    if (!res.ETag) throw new SnapstreamError(ErrorCode.STORE_FAILED, `${s.describe()}: no ETag for part ${part.number} of ${this.key}`, { retryable: true });
    this.etags.set(part.number, res.ETag);
  }

  async complete(opts: CompleteOptions = {}): Promise<ObjectInfo> {
    const s = this.store;
    // A resumed upload may list parts past the stream's end (from a run whose stream differed).
    if (opts.partCount !== undefined) for (const n of [...this.etags.keys()]) if (n > opts.partCount) this.etags.delete(n);
    if (this.etags.size === 0) {
      // S3 refuses to complete an upload without parts: an empty object is a plain PUT.
      await this.abort();
      await s.put(this.key, Buffer.alloc(0), { ...this.putOpts, signal: opts.signal });
      this.finished = true;
      return { key: this.key, size: 0 };
    }
    const parts = [...this.etags.entries()].sort((a, b) => a[0] - b[0]).map(([PartNumber, ETag]) => ({ PartNumber, ETag }));
    parts.forEach((p, i) => {
      if (p.PartNumber !== i + 1) throw new SnapstreamError(ErrorCode.INTERNAL, `part ${i + 1} of ${this.key} was never uploaded`);
    });
    const control = s.control;
    const etag = control
      ? await s.call(this.key, () => control.complete(this.key, this.fullKey, this.uploadId, parts, opts.signal))
      : (
          await s.sdkSend<{ ETag?: string }>(
            this.key,
            (m) => new m.CompleteMultipartUploadCommand({ Bucket: s.bucket, Key: this.fullKey, UploadId: this.uploadId, MultipartUpload: { Parts: parts } }),
            opts.signal,
          )
        ).ETag;
    this.finished = true;
    const info = await s.head(this.key, opts);
    return info ?? { key: this.key, size: -1, etag };
  }

  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    try {
      await this.store.abortUpload(this.fullKey, this.uploadId);
    } catch (e) {
      // Best effort by contract; cleanupUploads catches what is left.
      this.store.log.warn({ err: e, key: this.key }, 'abort of multipart upload failed');
    }
  }
}

/**
 * Whether UploadPart bodies are covered by the SigV4 signature. Signing hashes every byte with SHA-256
 * (~0.5 s of CPU per GB, as much as the rest of the agent together). Over https TLS already protects
 * the bytes, so parts go out as UNSIGNED-PAYLOAD (what the AWS CLI and SDKs do for S3 over https); over
 * plain http the signature is the only check the server makes, so it stays unless
 * SNAPSTREAM_S3_SIGN_PAYLOAD=false says otherwise (snapstream's per-part xxh64 still catches damage at
 * verify/restore time). SNAPSTREAM_S3_SIGN_PAYLOAD=true forces signing everywhere. A part that comes
 * with its SHA-256 (keyed backups) is signed with it whatever this says: it costs nothing.
 * radosgw 16.2 ignores x-amz-checksum-crc32 (a wrong one is accepted), so that is no cheap
 * replacement here; Content-MD5 is checked but costs twice the SHA-256 (docs/bench.md).
 */
export function signPartPayload(endpoint: string | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env.SNAPSTREAM_S3_SIGN_PAYLOAD?.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return endpoint !== undefined && endpoint.toLowerCase().startsWith('http:');
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** Endpoints may carry userinfo; never print it (the one redactor, src/redact.ts). */
export function redactUrl(u: string): string {
  return redactOne(u);
}
