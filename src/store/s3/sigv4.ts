import { createHash, createHmac } from 'node:crypto';

/** What a request is signed with; `sessionToken` for temporary credentials (STS, IMDS, IRSA). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Resolves the credentials to sign with (a static pair, or the SDK's memoized provider chain). */
export type CredentialsProvider = () => Promise<AwsCredentials>;

export interface SignInput {
  method: string;
  /** The request path exactly as sent (S3 keys are percent-encoded once; not encoded again here). */
  path: string;
  /** Query parameters, unencoded (`{ uploads: '' }`, `{ partNumber: '3', uploadId }`). */
  query: Record<string, string>;
  /** Header names in lower case, `host` included; all are signed (none of them is unsignable). */
  headers: Record<string, string>;
  /** x-amz-content-sha256: the body's SHA-256 (hex) or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
}

/**
 * AWS Signature Version 4 for S3 requests in headers (no presigning, no chunked payloads), on
 * node:crypto. The SDK's @smithy/signature-v4 does the same, but loading it costs a CLI run ~0.1 s of
 * CPU and ~11-17 MiB of RSS (it pulls in @smithy/core): most of what skipping the SDK saves. A unit
 * test signs the same requests with both and requires identical Authorization headers
 * (test/unit/store/s3/sigv4.test.ts).
 */
export class SigV4 {
  /** The derived signing key of the last (secret, date), reused for every request that day. */
  private cached: { secret: string; date: string; key: Buffer } | undefined;

  constructor(
    private readonly region: string,
    private readonly credentials: CredentialsProvider,
    private readonly service = 's3',
  ) {}

  /** The headers to send: the input's plus x-amz-date, x-amz-content-sha256, the token, Authorization. */
  async sign(req: SignInput, now: Date = new Date()): Promise<Record<string, string>> {
    const creds = await this.credentials();
    const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const date = amzDate.slice(0, 8);
    const headers: Record<string, string> = { ...req.headers, 'x-amz-date': amzDate, 'x-amz-content-sha256': req.payloadHash };
    if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken;
    const names = Object.keys(headers).sort();
    const canonical = [
      req.method,
      req.path,
      canonicalQuery(req.query),
      names.map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join(''),
      names.join(';'),
      req.payloadHash,
    ].join('\n');
    const scope = `${date}/${this.region}/${this.service}/aws4_request`;
    const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
    const signature = createHmac('sha256', this.signingKey(creds.secretAccessKey, date)).update(toSign, 'utf8').digest('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
    return headers;
  }

  private signingKey(secret: string, date: string): Buffer {
    const c = this.cached;
    if (c && c.secret === secret && c.date === date) return c.key;
    let k = hmac(`AWS4${secret}`, date);
    for (const part of [this.region, this.service, 'aws4_request']) k = hmac(k, part);
    this.cached = { secret, date, key: k };
    return k;
  }
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Sorted `key=value` pairs, both encoded; also the query string sent, so both always agree. */
export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .map((k) => [uriEscape(k), uriEscape(query[k]!)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}
