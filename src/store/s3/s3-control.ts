import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { ObjectInfo, PutOptions } from '../object-store.js';
import type { S3Direct } from './s3-direct.js';
import { S3ServiceError, parseS3Xml, s3ServiceError, xmlEscape, xmlRoot } from './s3-error-shape.js';
import { canonicalQuery } from './sigv4.js';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** Error documents and the XML answers of create/complete are small; more is not read. */
const MAX_XML = 1024 * 1024;

export interface S3ControlOptions {
  /** Addressing and signing (the same URL rules and credentials as the data path). */
  direct: S3Direct;
  /** The SDK client's agent settings, so both paths hold the same sockets and trust the same CAs. */
  maxSockets: number;
  ca?: string;
  rejectUnauthorized: boolean;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The whole body (XML answers), or the stream (GET of an object). */
  body?: Buffer;
  stream?: http.IncomingMessage;
}

/**
 * The small S3 requests of a plain backup and restore, without the AWS SDK: HEAD, GET of an object
 * (the manifest, the progress record), PutObject, Create/Complete/AbortMultipartUpload, DeleteObject.
 * Loading @aws-sdk/client-s3 costs every CLI run ~0.2 s of CPU and ~22 MiB of RSS for a handful of
 * requests; these go out through node:http (kept-alive sockets, the SDK handler's timeouts), signed
 * by sigv4.ts. Lists, resumes (ListParts) and multi-object calls stay with the SDK, loaded lazily.
 *
 * Failures are raised the way the SDK raises them (S3ServiceError: the error document's Code as
 * `name`, the status in `$metadata`; node's own errors for the network, named as the SDK names its
 * timeouts), so S3Store.mapError turns both paths into the same ErrorCodes and messages. As with the
 * SDK, a CompleteMultipartUpload answered 200 with an <Error> document fails as a 503 and an empty
 * 200 as InternalError (S3 reports failures found after the head was sent this way).
 * SNAPSTREAM_S3_FAST_CONTROL=false sends these through the SDK again.
 */
export class S3Control {
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(private readonly o: S3ControlOptions) {
    const d = o.direct;
    const agentOpts = { keepAlive: true, maxSockets: o.maxSockets };
    this.transport = d.protocol === 'https:' ? https : http;
    this.agent =
      d.protocol === 'https:'
        ? new https.Agent({ ...agentOpts, rejectUnauthorized: o.rejectUnauthorized, ...(o.ca ? { ca: o.ca } : {}) })
        : new http.Agent(agentOpts);
  }

  async head(key: string, fullKey: string, signal?: AbortSignal): Promise<ObjectInfo> {
    const a = await this.send(key, { method: 'HEAD', fullKey, signal });
    const h = a.headers;
    const metadata: Record<string, string> = {};
    for (const [name, v] of Object.entries(h)) if (name.startsWith('x-amz-meta-') && typeof v === 'string') metadata[name.slice(11)] = v;
    const lm = h['last-modified'];
    return {
      key,
      size: Number(h['content-length'] ?? 0),
      ...(lm ? { lastModified: new Date(lm) } : {}),
      ...(h.etag ? { etag: h.etag } : {}),
      metadata,
    };
  }

  /** The object's body as a stream (a range of it, where given); the caller reads or destroys it. */
  async get(key: string, fullKey: string, range: { offset: number; length: number } | undefined, signal?: AbortSignal): Promise<Readable> {
    const headers: Record<string, string> = range ? { range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {};
    const a = await this.send(key, { method: 'GET', fullKey, headers, signal, stream: true });
    return a.stream!;
  }

  async put(key: string, fullKey: string, body: Buffer, opts: PutOptions): Promise<void> {
    const headers: Record<string, string> = { 'content-length': String(body.length), ...metaHeaders(opts) };
    // A digest the caller has (a dedup segment's id) is signed as is: the body is not hashed again.
    const payloadHash = opts.sha256 !== undefined && /^[0-9a-f]{64}$/.test(opts.sha256) ? opts.sha256 : createHash('sha256').update(body).digest('hex');
    await this.send(key, { method: 'PUT', fullKey, headers, body, payloadHash, signal: opts.signal });
  }

  /** CreateMultipartUpload; resolves with the UploadId (undefined when the answer has none). */
  async createUpload(key: string, fullKey: string, opts: PutOptions): Promise<string | undefined> {
    const headers = { ...metaHeaders({ ...opts, contentType: opts.contentType ?? 'application/octet-stream' }), 'content-length': '0' };
    const a = await this.send(key, { method: 'POST', fullKey, query: { uploads: '' }, headers, signal: opts.signal });
    const id = xmlRoot(parseS3Xml(a.body!.toString('utf8')))?.UploadId;
    return typeof id === 'string' && id !== '' ? id : undefined;
  }

  /** CompleteMultipartUpload of parts 1..n in order; resolves with the object's ETag if the answer names it. */
  async complete(key: string, fullKey: string, uploadId: string, parts: { PartNumber: number; ETag: string }[], signal?: AbortSignal): Promise<string | undefined> {
    const xml =
      '<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      parts.map((p) => `<Part><ETag>${xmlEscape(p.ETag)}</ETag><PartNumber>${p.PartNumber}</PartNumber></Part>`).join('') +
      '</CompleteMultipartUpload>';
    const body = Buffer.from(xml, 'utf8');
    const headers = { 'content-length': String(body.length), 'content-type': 'application/xml' };
    const a = await this.send(key, { method: 'POST', fullKey, query: { uploadId }, headers, body, signal });
    const text = a.body!.toString('utf8');
    // The SDK's throw200Exceptions: S3 may send 200 and only then find the request failed. The SDK
    // looks at the body's last 16 bytes exactly; trailing whitespace is allowed here, since taking a
    // failed complete for a commit would leave a manifest naming an object that does not exist.
    if (a.body!.length === 0) throw new S3ServiceError('InternalError', 'S3 aborted request', 503);
    if (text.trimEnd().endsWith('</Error>')) throw s3ServiceError(503, text);
    const etag = xmlRoot(parseS3Xml(text))?.ETag;
    return typeof etag === 'string' ? etag : undefined;
  }

  async abortUpload(fullKey: string, uploadId: string): Promise<void> {
    await this.send(fullKey, { method: 'DELETE', fullKey, query: { uploadId } });
  }

  async delete(key: string, fullKey: string, signal?: AbortSignal): Promise<void> {
    await this.send(key, { method: 'DELETE', fullKey, signal });
  }

  close(): void {
    this.agent.destroy();
  }

  /**
   * One signed request. Resolves with a 2xx answer (its body read whole, or as a stream for GET);
   * rejects with an S3ServiceError for any other status, or node's error for the network.
   */
  private async send(
    key: string,
    r: {
      method: string;
      fullKey: string;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      body?: Buffer;
      payloadHash?: string;
      signal?: AbortSignal;
      stream?: boolean;
    },
  ): Promise<Answer> {
    if (r.signal?.aborted) throw abortError(r.signal);
    const d = this.o.direct;
    const path = d.pathOf(r.fullKey);
    const query = r.query ?? {};
    const payloadHash = r.payloadHash ?? (r.body && r.body.length > 0 ? createHash('sha256').update(r.body).digest('hex') : EMPTY_SHA256);
    const signed = await d.sign(key, { method: r.method, path, query, headers: { host: d.hostHeader, ...(r.headers ?? {}) }, payloadHash });
    const qs = canonicalQuery(query);
    return new Promise<Answer>((resolve, reject) => {
      let settled = false;
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        cleanup();
        reject(e);
      };
      const req = this.transport.request({
        agent: this.agent,
        method: r.method,
        host: d.hostname,
        port: d.port,
        path: qs ? `${path}?${qs}` : path,
        headers: { 'user-agent': 'snapstream', ...signed },
      });
      const onAbort = () => {
        const e = abortError(r.signal!);
        fail(e);
        req.destroy(e);
      };
      const cleanup = () => r.signal?.removeEventListener('abort', onAbort);
      r.signal?.addEventListener('abort', onAbort, { once: true });
      // The SDK handler's limits: 10 s to connect, 120 s without a byte while in flight.
      req.setTimeout(120_000, () => req.destroy(timeoutError('no response bytes for 120 s')));
      req.on('socket', (sock) => {
        if (!sock.connecting) return;
        const t = setTimeout(() => req.destroy(timeoutError('could not connect within 10 s')), 10_000);
        sock.once('connect', () => clearTimeout(t));
        sock.once('close', () => clearTimeout(t));
      });
      req.on('error', fail);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300 && r.stream) {
          settled = true;
          // An abort after the answer ends the body with an error, as the SDK's stream does.
          if (r.signal) {
            r.signal.removeEventListener('abort', onAbort);
            const onBodyAbort = () => res.destroy(abortError(r.signal!));
            r.signal.addEventListener('abort', onBodyAbort, { once: true });
            res.once('close', () => r.signal!.removeEventListener('abort', onBodyAbort));
          }
          resolve({ status, headers: res.headers, stream: res });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_XML) chunks.push(c);
          else res.destroy(Object.assign(new Error(`answer of ${r.method} larger than ${MAX_XML} bytes`), { code: 'ERR_RESPONSE_TOO_LARGE' }));
        });
        res.on('error', fail);
        res.on('end', () => {
          if (settled) return;
          const body = Buffer.concat(chunks);
          if (status >= 200 && status < 300) {
            settled = true;
            cleanup();
            resolve({ status, headers: res.headers, body });
          } else {
            fail(s3ServiceError(status, r.method === 'HEAD' ? '' : body.toString('utf8')));
          }
        });
      });
      req.end(r.body && r.body.length > 0 ? r.body : undefined);
    });
  }
}

function metaHeaders(opts: PutOptions): Record<string, string> {
  const h: Record<string, string> = {};
  if (opts.contentType !== undefined) h['content-type'] = opts.contentType;
  for (const [k, v] of Object.entries(opts.metadata ?? {})) h[`x-amz-meta-${k.toLowerCase()}`] = v;
  return h;
}

/** Named as the SDK names an aborted request, so mapError reports ABORTED. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError' });
}

/** Named as the SDK's handler names its timeouts, so mapError makes them retryable. */
function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError', code: 'ETIMEDOUT' });
}
