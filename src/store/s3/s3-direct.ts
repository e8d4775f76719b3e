import { createHash } from 'node:crypto';
import { ErrorCode, SnapstreamError, abortedError } from '../../errors.js';
import type { ResolvedS3Config } from './s3-config.js';
import { HttpRangeClient, HttpRangeError } from './http-range-client.js';
import { s3ServiceError } from './s3-error-shape.js';
import { type CredentialsProvider, SigV4, canonicalQuery } from './sigv4.js';

/** SHA-256 of the empty body: what a GET declares as its payload hash. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface S3DirectOptions {
  cfg: ResolvedS3Config;
  /**
   * Static keys from the environment (s3-credentials.ts), else the SDK client's resolved provider
   * (its default chain or profile, memoized and refreshed by the SDK before expiry), loaded lazily.
   */
  credentials: CredentialsProvider;
  /** Maps an S3 error (name, HTTP status) as the store maps the SDK's, so both paths fail alike. */
  mapError: (key: string, e: unknown) => SnapstreamError;
  /** Names the location in errors (never credentials). */
  where: string;
}

/**
 * The two requests that carry the stream's bytes, without the SDK: the restore's ranged GETs and the
 * backup's UploadPart PUTs. SigV4-signed (sigv4.ts, checked against the SDK's own signer) with the
 * store's credentials, sent by HttpRangeClient, which lands GET bodies
 * straight in the caller's part buffer and writes PUT bodies from it. Every other call (create,
 * complete, head...) goes through S3Control (s3-control.ts), or the SDK where that is off. The SDK's ranged GET costs ~1.6-2 s of CPU per GiB
 * here, this one ~0.3 (see docs/bench.md). Only plain virtual-host/path-style URLs are built here;
 * `create` says undefined when it cannot build one, and S3Store keeps the SDK path.
 * SNAPSTREAM_S3_FAST_GET=false / SNAPSTREAM_S3_FAST_PUT=false turn either off.
 */
export class S3Direct {
  private readonly http: HttpRangeClient;
  private readonly signer: SigV4;
  readonly basePath: string;
  readonly hostname: string;
  readonly port: number;
  readonly protocol: 'http:' | 'https:';

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
    this.signer = new SigV4(o.cfg.region, o.credentials);
  }

  get hostHeader(): string {
    return this.http.hostHeader;
  }

  /** The request path of a full key (bucket in the path or the host, per s3Target). */
  pathOf(fullKey: string): string {
    return this.basePath + encodeKey(fullKey);
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
      path,
      query: {},
      headers: { host: this.http.hostHeader, range: `bytes=${offset}-${end}` },
      payloadHash: EMPTY_SHA256,
    });
    const headers: Record<string, string> = { 'User-Agent': 'snapstream' };
    for (const [k, v] of Object.entries(signed)) if (k !== 'host' && k !== 'range') headers[k] = v;
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
      path: basePath,
      query,
      headers: { host: this.http.hostHeader, 'content-length': String(body.length) },
      payloadHash,
    });
    const headers: Record<string, string> = { 'User-Agent': 'snapstream', 'Content-Type': 'application/octet-stream' };
    for (const [k, v] of Object.entries(signed)) if (k !== 'host' && k !== 'content-length') headers[k] = v;
    const path = `${basePath}?${canonicalQuery(query)}`;
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
  async sign(key: string, req: Parameters<SigV4['sign']>[0]): Promise<Record<string, string>> {
    try {
      return await this.signer.sign(req);
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
        return this.o.mapError(key, s3ServiceError(f.status, f.body));
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

/** SNAPSTREAM_S3_FAST_GET / SNAPSTREAM_S3_FAST_PUT / SNAPSTREAM_S3_FAST_CONTROL: on unless 'false' or '0'. */
export function fastPathEnabled(which: 'GET' | 'PUT' | 'CONTROL', env: Readonly<Record<string, string | undefined>> = process.env): boolean {
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
