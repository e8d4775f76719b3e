import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider, Checksum, SourceData } from '@smithy/types';
import { ErrorCode, SnapstreamError, abortedError } from '../../errors.js';
import type { ResolvedS3Config } from './s3-config.js';
import { HttpRangeClient, HttpRangeError } from './http-range-client.js';

/** SHA-256 of the empty body: what a GET declares as its payload hash. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface S3DirectOptions {
  cfg: ResolvedS3Config;
  /** The SDK client's resolved credential provider (its default chain or profile), memoized and refreshed by the SDK before expiry. */
  credentials: AwsCredentialIdentityProvider;
  /** Maps an S3 error (name, HTTP status) as the store maps the SDK's, so both paths fail alike. */
  mapError: (key: string, e: unknown) => SnapstreamError;
  /** Names the location in errors (never credentials). */
  where: string;
}

/**
 * The two requests that carry the stream's bytes, without the SDK: the restore's ranged GETs and the
 * backup's UploadPart PUTs. SigV4-signed by @smithy/signature-v4 (the SDK's own signer) with the
 * credentials of the SDK client's provider chain, sent by HttpRangeClient, which lands GET bodies
 * straight in the caller's part buffer and writes PUT bodies from it. Every other call (create,
 * complete, list, head...) stays with the SDK. The SDK's ranged GET costs ~1.6-2 s of CPU per GiB
 * here, this one ~0.3 (see docs/bench.md). Only plain virtual-host/path-style URLs are built here;
 * `create` says undefined when it cannot build one, and S3Store keeps the SDK path.
 * SNAPSTREAM_S3_FAST_GET=false / SNAPSTREAM_S3_FAST_PUT=false turn either off.
 */
export class S3Direct {
  private readonly http: HttpRangeClient;
  private readonly signer: SignatureV4;
  private readonly basePath: string;
  private readonly hostname: string;
  private readonly port: number;
  private readonly protocol: 'http:' | 'https:';

  private constructor(
    private readonly o: S3DirectOptions,
    url: URL,
    basePath: string,
  ) {
    this.protocol = url.protocol as 'http:' | 'https:';
    this.hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = url.port ? Number(url.port) : this.protocol === 'https:' ? 443 : 80;
    this.basePath = basePath;
    this.http = new HttpRangeClient({
      protocol: this.protocol,
      host: this.hostname,
      port: this.port,
      ca: o.cfg.caCertPem,
      rejectUnauthorized: !o.cfg.insecureSkipTLSVerify,
    });
    this.signer = new SignatureV4({
      service: 's3',
      region: o.cfg.region,
      credentials: o.credentials,
      sha256: NodeSha256,
      // S3 signs the path as sent (keys are encoded once, not twice as other services want).
      uriEscapePath: false,
      applyChecksum: false,
    });
  }

  /** Undefined where this path does not apply (an endpoint it cannot address). */
  static create(o: S3DirectOptions): S3Direct | undefined {
    const target = s3Target(o.cfg);
    if (!target) return undefined;
    return new S3Direct(o, target.url, target.basePath);
  }

  /** Reads `length` bytes at `offset` of `fullKey` into `into[0..length)`; see ObjectStore.getInto. */
  async getInto(key: string, fullKey: string, offset: number, into: Buffer, signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) throw abortedError(signal);
    if (into.length === 0) return 0;
    const path = this.basePath + encodeKey(fullKey);
    const end = offset + into.length - 1;
    const signed = await this.sign(key, {
      method: 'GET',
      protocol: this.protocol,
      hostname: this.hostname,
      port: this.port,
      path,
      query: {},
      headers: { host: this.http.hostHeader, range: `bytes=${offset}-${end}`, 'x-amz-content-sha256': EMPTY_SHA256 },
    });
    const headers: Record<string, string> = { 'User-Agent': 'snapstream' };
    for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host' && k !== 'range') headers[k] = v;
    try {
      return await this.http.get({ path, headers, offset, into, signal });
    } catch (e) {
      if (signal?.aborted) throw abortedError(signal);
      throw this.mapFailure(key, `bytes ${offset}-${end}`, e);
    }
  }

  /**
   * UploadPart of `body` as part `partNumber` of upload `uploadId`; resolves with the part's ETag.
   * `payload`: true = the body's SHA-256 goes into the signature (see signPartPayload), false =
   * UNSIGNED-PAYLOAD, a string = the body's SHA-256 (hex) the caller already computed, signed as is.
   */
  async uploadPart(key: string, fullKey: string, uploadId: string, partNumber: number, body: Buffer, payload: boolean | string, signal?: AbortSignal): Promise<string> {
    if (signal?.aborted) throw abortedError(signal);
    const basePath = this.basePath + encodeKey(fullKey);
    const query = { partNumber: String(partNumber), uploadId };
    const payloadHash =
      typeof payload === 'string' ? payload : payload ? createHash('sha256').update(body).digest('hex') : 'UNSIGNED-PAYLOAD';
    const signed = await this.sign(key, {
      method: 'PUT',
      protocol: this.protocol,
      hostname: this.hostname,
      port: this.port,
      path: basePath,
      query,
      headers: { host: this.http.hostHeader, 'content-length': String(body.length), 'x-amz-content-sha256': payloadHash },
    });
    const headers: Record<string, string> = { 'User-Agent': 'snapstream', 'Content-Type': 'application/octet-stream' };
    for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host' && k !== 'content-length') headers[k] = v;
    const path = `${basePath}?partNumber=${partNumber}&uploadId=${encodeURIComponent(uploadId)}`;
    try {
      const res = await this.http.put({ path, headers, body, signal });
      const etag = res.headers.get('etag');
      if (!etag) throw new SnapstreamError(ErrorCode.STORE_FAILED, `${this.o.where}: no ETag for part ${partNumber} of ${key}`, { retryable: true });
      return etag;
    } catch (e) {
      if (signal?.aborted) throw abortedError(signal);
      if (e instanceof SnapstreamError) throw e;
      throw this.mapFailure(key, `part ${partNumber}`, e);
    }
  }

  close(): void {
    this.http.close();
  }

  /** Signs `req`; a credential chain that cannot produce credentials fails like the SDK path does. */
  private async sign(key: string, req: Parameters<SignatureV4['sign']>[0]): Promise<{ headers: Record<string, string> }> {
    try {
      return (await this.signer.sign(req)) as { headers: Record<string, string> };
    } catch (e) {
      throw this.o.mapError(key, e);
    }
  }

  private mapFailure(key: string, part: string, e: unknown): SnapstreamError {
    if (!(e instanceof HttpRangeError)) return this.o.mapError(key, e);
    const f = e.failure;
    const what = `${this.o.where}: ${key} ${part}`;
    switch (f.kind) {
      case 'status': {
        // Shaped like the SDK's service errors, so S3Store.mapError classifies both paths the same
        // way (404 NOT_FOUND, 403 access denied, 5xx/429 retryable, other 4xx not).
        const code = /<Code>([^<]{1,100})<\/Code>/.exec(f.body)?.[1];
        const message = /<Message>([^<]{0,300})<\/Message>/.exec(f.body)?.[1];
        return this.o.mapError(key, { name: code ?? `HTTP${f.status}`, message: message || code || `HTTP ${f.status}`, $metadata: { httpStatusCode: f.status } });
      }
      case 'protocol':
        return new SnapstreamError(
          ErrorCode.STORE_FAILED,
          `${what}: unexpected response: ${f.message}. If this server is known to answer this way, set SNAPSTREAM_S3_FAST_GET=false ` +
            "(restores) or SNAPSTREAM_S3_FAST_PUT=false (backups) to use the SDK's client",
          { retryable: false },
        );
      case 'tls':
        return new SnapstreamError(
          ErrorCode.STORE_FAILED,
          `${what}: TLS: ${f.message}; give the endpoint's CA (caCert) or, for a self-signed test endpoint only, insecureSkipTLSVerify`,
          { retryable: false, details: { code: f.code } },
        );
      case 'timeout':
      case 'network':
        return new SnapstreamError(ErrorCode.STORE_FAILED, `${what}: ${f.message}`, { retryable: true, details: { code: f.kind === 'network' ? f.code : 'timeout' } });
      case 'aborted':
        return new SnapstreamError(ErrorCode.ABORTED, `${what}: aborted`);
    }
  }
}

/** SNAPSTREAM_S3_FAST_GET / SNAPSTREAM_S3_FAST_PUT: on unless 'false' or '0'. */
export function fastPathEnabled(which: 'GET' | 'PUT', env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[`SNAPSTREAM_S3_FAST_${which}`]?.trim().toLowerCase();
  return !(v === 'false' || v === '0');
}

/** The URL the object lives under and the path prefix of keys, or undefined where only the SDK knows. */
export function s3Target(cfg: ResolvedS3Config): { url: URL; basePath: string } | undefined {
  // Host-name-safe buckets go anywhere; legacy names (upper case, '_') only into a path.
  const dnsBucket = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(cfg.bucket);
  if (!dnsBucket && !/^[A-Za-z0-9._-]{1,255}$/.test(cfg.bucket)) return undefined;
  if (cfg.endpoint === undefined) {
    if (!dnsBucket) return undefined;
    // AWS itself. Bucket names with dots break TLS on virtual hosts; the SDK handles those (and
    // regions with other DNS suffixes, accelerate, dual-stack...).
    if (cfg.bucket.includes('.') || !/^[a-z]{2}(-[a-z]+)+-\d$/.test(cfg.region)) return undefined;
    return { url: new URL(`https://${cfg.bucket}.s3.${cfg.region}.amazonaws.com`), basePath: '/' };
  }
  let url: URL;
  try {
    url = new URL(cfg.endpoint);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.search) return undefined;
  const prefix = url.pathname.replace(/\/+$/, '');
  if (cfg.forcePathStyle) return { url: new URL(url.origin), basePath: `${prefix}/${encodeKey(cfg.bucket)}/` };
  if (!dnsBucket || (cfg.bucket.includes('.') && url.protocol === 'https:')) return undefined;
  return { url: new URL(`${url.protocol}//${cfg.bucket}.${url.host}`), basePath: `${prefix}/` };
}

/** S3's key encoding: every byte but unreserved characters and '/' percent-encoded, once. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/** node:crypto behind the signer's Checksum interface (HMAC when given a secret). */
class NodeSha256 implements Checksum {
  private h: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(private readonly secret?: SourceData) {
    this.h = this.make();
  }
  private make() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(this.secret));
  }
  update(data: Uint8Array | string): void {
    this.h.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {
    this.h = this.make();
  }
}

function toBytes(d: SourceData): Buffer {
  if (typeof d === 'string') return Buffer.from(d, 'utf8');
  if (ArrayBuffer.isView(d)) return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  return Buffer.from(d as ArrayBuffer);
}
