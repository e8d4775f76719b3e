import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type UploadPartCommandInput,
  type UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { fromIni } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { BuildMiddleware } from '@smithy/types';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../../errors.js';
import type { ResolvedS3Config } from './s3-config.js';
import { joinKey, validateObjectKey } from '../object-key.js';
import { S3Direct, fastPathEnabled } from './s3-direct.js';
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
  readonly client: S3Client;
  readonly bucket: string;
  private readonly root: string;
  readonly log: Logger;
  private readonly pageSize: number;
  private readonly where: string;
  /** See signPartPayload(). */
  readonly signParts: boolean;
  /** The SDK-less path for the stream's bytes (ranged GETs, UploadPart); see S3Direct. */
  readonly direct: S3Direct | undefined;
  /** UploadPart through `direct` (SNAPSTREAM_S3_FAST_PUT, default on). */
  readonly directPut: boolean;
  /**
   * Ranged reads straight into the caller's buffer, without the SDK (see S3Direct); absent where
   * that path does not apply, and the restore then uses `get`.
   */
  readonly getInto?: (key: string, range: ByteRange, into: Buffer, opts?: SignalOptions) => Promise<number>;

  constructor(cfg: ResolvedS3Config, opts: S3StoreOptions) {
    this.bucket = cfg.bucket;
    this.root = opts.root;
    this.log = opts.log;
    this.pageSize = opts.listPageSize ?? 1000;
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 32 };
    this.client = new S3Client({
      region: cfg.region,
      endpoint: cfg.endpoint,
      forcePathStyle: cfg.forcePathStyle,
      credentials: cfg.profile ? fromIni({ profile: cfg.profile }) : undefined,
      // Non-AWS servers reject (or, worse, store) aws-chunked bodies with flexible checksums.
      requestChecksumCalculation: cfg.checksums,
      responseChecksumValidation: cfg.checksums,
      // One attempt: the store's retry decorator is the only retry (src/store/decorators/), so a
      // part gets its policy's attempts, not those times the SDK's.
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({
        httpAgent: new http.Agent(agentOpts),
        httpsAgent: new https.Agent({
          ...agentOpts,
          rejectUnauthorized: !cfg.insecureSkipTLSVerify,
          ...(cfg.caCertPem ? { ca: cfg.caCertPem } : {}),
        }),
        connectionTimeout: 10_000,
        // Socket idle time: a server that stops answering fails the request instead of hanging.
        requestTimeout: 120_000,
      }),
    });
    const knobs = opts.knobs ?? process.env;
    this.signParts = signPartPayload(cfg.endpoint, knobs);
    // Signed parts: the pipeline hashes them as they arrive (StoreLimits.wantsPartSha256).
    this.limits = { minPartSize: 5 * 1024 * 1024, maxPartSize: 5 * 1024 ** 3, maxParts: 10_000, parallelParts: true, wantsPartSha256: this.signParts };
    this.where = `s3://${cfg.bucket}${this.root ? '/' + this.root : ''}${cfg.endpoint ? ` at ${redactUrl(cfg.endpoint)}` : ''}`;
    this.direct = S3Direct.create({
      cfg,
      credentials: this.client.config.credentials,
      mapError: (key, e) => this.mapError(key, e),
      where: this.where,
    });
    this.directPut = this.direct !== undefined && fastPathEnabled('PUT', knobs);
    const fast = fastPathEnabled('GET', knobs) ? this.direct : undefined;
    if (fast) {
      this.getInto = async (key, range, into, opts = {}) => {
        if (into.length < range.length) throw new SnapstreamError(ErrorCode.INTERNAL, `getInto: buffer of ${into.length} bytes for a range of ${range.length}`);
        return fast.getInto(key, this.full(key), range.offset, into.subarray(0, range.length), opts.signal);
      };
    }
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
    const cmd = new PutObjectCommand({
      Bucket: this.bucket,
      Key: this.full(key),
      Body: body,
      ContentLength: body.length,
      ContentType: opts.contentType,
      Metadata: opts.metadata,
    });
    // A digest the caller has (a dedup segment's id) is signed as is: the body is not hashed again.
    if (opts.sha256 !== undefined && SHA256_HEX.test(opts.sha256)) cmd.middlewareStack.add(knownPayloadHash(opts.sha256), UNSIGNED_PAYLOAD_MW);
    await this.call(key, () => this.client.send(cmd, { abortSignal: opts.signal }));
  }

  async createUpload(key: string, opts: PutOptions = {}): Promise<MultipartUpload> {
    const fullKey = this.full(key);
    const res = await this.call(key, () =>
      this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: fullKey,
          ContentType: opts.contentType ?? 'application/octet-stream',
          Metadata: opts.metadata,
        }),
        { abortSignal: opts.signal },
      ),
    );
    if (!res.UploadId) throw new SnapstreamError(ErrorCode.STORE_FAILED, `${this.where}: no UploadId for ${key}`);
    return new S3Upload(this, key, fullKey, res.UploadId, opts);
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
      let res;
      try {
        res = await this.call(key, () =>
          this.client.send(
            new ListPartsCommand({ Bucket: this.bucket, Key: fullKey, UploadId: handle, PartNumberMarker: marker }),
            { abortSignal: opts.signal },
          ),
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
    const res = await this.call(key, () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.full(key),
          Range: r ? `bytes=${r.offset}-${r.offset + r.length - 1}` : undefined,
        }),
        { abortSignal: opts.signal },
      ),
    );
    return res.Body as Readable;
  }

  async head(key: string, opts: SignalOptions = {}): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.call(key, () =>
        this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.full(key) }), { abortSignal: opts.signal }),
      );
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
      const res = await this.call(prefix, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: fullPrefix, ContinuationToken: token, MaxKeys: this.pageSize }),
          { abortSignal: opts.signal },
        ),
      );
      for (const o of res.Contents ?? []) {
        if (!o.Key) continue;
        yield { key: this.rel(o.Key), size: o.Size ?? 0, lastModified: o.LastModified, etag: o.ETag };
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string, opts: SignalOptions = {}): Promise<void> {
    try {
      await this.call(key, () =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.full(key) }), { abortSignal: opts.signal }),
      );
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
      const res = await this.call(prefix, () =>
        this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix: fullPrefix, KeyMarker: keyMarker, UploadIdMarker: idMarker }),
          { abortSignal: opts.signal },
        ),
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
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: fullKey, UploadId: uploadId }));
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === 'NoSuchUpload' || httpStatus(e) === 404) return;
      throw this.mapError(fullKey, e);
    }
  }

  async close(): Promise<void> {
    this.direct?.close();
    this.client.destroy();
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
    const cmd = new UploadPartCommand({
      Bucket: s.bucket,
      Key: this.fullKey,
      UploadId: this.uploadId,
      PartNumber: part.number,
      Body: part.data,
      ContentLength: part.data.length,
    });
    if (part.sha256 !== undefined && SHA256_HEX.test(part.sha256)) cmd.middlewareStack.add(knownPayloadHash(part.sha256), UNSIGNED_PAYLOAD_MW);
    else if (!s.signParts) cmd.middlewareStack.add(unsignedPayload, UNSIGNED_PAYLOAD_MW);
    const res = await s.call(this.key, () => s.client.send(cmd, { abortSignal: opts.signal }));
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
    const res = await s.call(this.key, () =>
      s.client.send(
        new CompleteMultipartUploadCommand({ Bucket: s.bucket, Key: this.fullKey, UploadId: this.uploadId, MultipartUpload: { Parts: parts } }),
        { abortSignal: opts.signal },
      ),
    );
    this.finished = true;
    const info = await s.head(this.key, opts);
    return info ?? { key: this.key, size: -1, etag: res.ETag };
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

const UNSIGNED_PAYLOAD_MW = { step: 'build', name: 'snapstreamUnsignedPayload', override: true } as const;

/** Marks the body as unsigned before the signer runs, so it does not hash it. */
const unsignedPayload: BuildMiddleware<UploadPartCommandInput, UploadPartCommandOutput> = (next) => async (args) => {
  const req = args.request as { headers?: Record<string, string> };
  if (req.headers) req.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  return next(args);
};

/** Declares the body's SHA-256 the caller computed: the signer signs it as is instead of hashing the body again. */
function knownPayloadHash<I extends object, O extends object>(sha256: string): BuildMiddleware<I, O> {
  return (next) => async (args) => {
    const req = args.request as { headers?: Record<string, string> };
    if (req.headers) req.headers['x-amz-content-sha256'] = sha256;
    return next(args);
  };
}

function httpStatus(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** Endpoints may carry userinfo; never print it (the one redactor, src/redact.ts). */
export function redactUrl(u: string): string {
  return redactOne(u);
}
