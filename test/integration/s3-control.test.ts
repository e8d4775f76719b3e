import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapstreamError } from '../../src/errors.js';
import type { ResolvedS3Config } from '../../src/store/s3/s3-config.js';
import { S3Store } from '../../src/store/s3/s3-store.js';
import { silentLog } from '../helpers/core-fixture.js';
import { createBucket, emptyAndDeleteBucket, getTestEnv, needs, uniqueName } from '../helpers/test-env.js';

/**
 * S3Control (HEAD, GET, PUT, create/complete/abort, DELETE without the SDK) fails exactly as the SDK
 * path does: every failure below is produced once with SNAPSTREAM_S3_FAST_CONTROL on and once off,
 * and code, retryable and message must be equal. Against radosgw, and against a loopback server of
 * this test's own for what radosgw does not do on request (CompleteMultipartUpload answered 200 with
 * an <Error> document, or with nothing).
 */
const cfg = (endpoint: string, bucket: string): ResolvedS3Config => ({
  provider: 'aws',
  bucket,
  region: 'us-east-1',
  endpoint,
  forcePathStyle: true,
  insecureSkipTLSVerify: false,
  checksums: 'WHEN_REQUIRED',
});
const OFF = { SNAPSTREAM_S3_FAST_CONTROL: 'false' };

/** What a call did, comparable across the two paths. */
async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    const v = await p;
    return { ok: v === undefined ? 'undefined' : typeof v };
  } catch (e) {
    if (!(e instanceof SnapstreamError)) return { notSnapstream: String(e) };
    return { code: e.code, retryable: e.retryable, message: e.message };
  }
}

describe.skipIf(!needs('s3'))('S3Control fails as the SDK path does (radosgw)', () => {
  const ep = getTestEnv().s3!;
  const bucket = uniqueName('control');
  const missingBucket = uniqueName('nobucket');
  const stores: S3Store[] = [];
  const open = (b: string, knobs: Record<string, string>) => {
    const s = new S3Store(cfg(ep.endpoint, b), { root: 'r', log: silentLog, knobs });
    stores.push(s);
    return s;
  };

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = ep.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = ep.secretAccessKey;
    await createBucket(ep, bucket);
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await emptyAndDeleteBucket(ep, bucket);
  });

  const cases: [string, (s: S3Store, other: S3Store) => Promise<unknown>][] = [
    ['get of a missing key', (s) => s.get('missing/k')],
    ['head of a missing key', (s) => s.head('missing/k')],
    ['delete of a missing key', (s) => s.delete('missing/k')],
    ['a range past the end', async (s) => {
      await s.put('short', Buffer.from('0123456789'));
      return s.get('short', { range: { offset: 100, length: 5 } });
    }],
    ['put into a missing bucket', (_s, o) => o.put('k', Buffer.from('x'))],
    ['get from a missing bucket', (_s, o) => o.get('k')],
    ['head in a missing bucket', (_s, o) => o.head('k')],
    ['createUpload in a missing bucket', (_s, o) => o.createUpload('k')],
    ['complete with an ETag the server never gave', async (s) => {
      const up = await s.createUpload('bad-etag');
      (up as unknown as { adopt(n: number, e: string): void }).adopt(1, '"0123456789abcdef0123456789abcdef"');
      try {
        return await up.complete();
      } finally {
        await up.abort();
      }
    }],
    ['complete of an aborted upload', async (s) => {
      const up = await s.createUpload('aborted');
      await up.uploadPart({ number: 1, offset: 0, data: randomBytes(1000) });
      await s.abortUpload(`r/aborted`, up.handle!);
      (up as unknown as { finished: boolean }).finished = false;
      return up.complete();
    }],
    ['abort of an upload that does not exist', (s) => s.abortUpload('r/none', '2~madeUpUploadIdThatDoesNotExist')],
  ];

  for (const [name, run] of cases) {
    it(name, async () => {
      const fast = await outcome(run(open(bucket, {}), open(missingBucket, {})));
      const sdk = await outcome(run(open(bucket, OFF), open(missingBucket, OFF)));
      expect(stores.at(-4)!.control).toBeDefined();
      expect(stores.at(-2)!.control).toBeUndefined();
      expect(fast).toEqual(sdk);
    });
  }

  it('wrong credentials: the same access-denied error, naming the key and the fix, never the secret', async () => {
    const saved = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong-secret-for-the-test';
    try {
      const fast = await outcome(open(bucket, {}).put('denied', Buffer.from('x')));
      const sdk = await outcome(open(bucket, OFF).put('denied', Buffer.from('x')));
      expect(fast).toEqual(sdk);
      expect((fast as { message: string }).message).toMatch(/access denied for denied \(SignatureDoesNotMatch\); check the credentials/);
      expect((fast as { message: string }).message).not.toMatch(/wrong-secret|TESTSK/);
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = saved;
    }
  });

  it('head returns the same info on both paths (size, metadata, ETag, date)', async () => {
    await open(bucket, {}).put('meta', Buffer.from('hello'), { contentType: 'text/plain', metadata: { 'snapstream-hash': 'abc', volume: 'v1' } });
    const a = await open(bucket, {}).head('meta');
    const b = await open(bucket, OFF).head('meta');
    expect(a).toEqual(b);
    expect(a).toMatchObject({ size: 5, metadata: { 'snapstream-hash': 'abc', volume: 'v1' } });
  });
});

describe('S3Control: CompleteMultipartUpload answered 200 with an error (a loopback server)', () => {
  let srv: http.Server;
  let answer: { status: number; body: string } = { status: 200, body: '' };
  let url = '';
  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID ??= 'AK';
    process.env.AWS_SECRET_ACCESS_KEY ??= 'SK';
    srv = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST' && req.url?.includes('uploads')) {
          res.writeHead(200, { 'content-type': 'application/xml' });
          res.end('<?xml version="1.0"?><InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>UP1</UploadId></InitiateMultipartUploadResult>');
        } else if (req.method === 'POST') {
          res.writeHead(answer.status, { 'content-type': 'application/xml' });
          res.end(answer.body);
        } else if (req.method === 'HEAD') {
          res.writeHead(200, { 'content-length': '5', etag: '"e"' });
          res.end();
        } else {
          res.writeHead(204);
          res.end();
        }
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => srv.close(() => r())));

  const complete = async (knobs: Record<string, string>) => {
    const s = new S3Store(cfg(url, 'b'), { root: '', log: silentLog, knobs });
    try {
      const up = await s.createUpload('k');
      (up as unknown as { adopt(n: number, e: string): void }).adopt(1, '"p1"');
      return await outcome(up.complete());
    } finally {
      await s.close();
    }
  };

  it.each([
    ['an <Error> document', '<?xml version="1.0"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>'],
    ['an empty body', ''],
  ])('%s: fails retryable, as through the SDK', async (_name, body) => {
    answer = { status: 200, body };
    const fast = await complete({});
    const sdk = await complete(OFF);
    expect(fast).toEqual(sdk);
    expect(fast).toMatchObject({ code: 'STORE_FAILED', retryable: true });
  });

  it('an <Error> document followed by whitespace fails too (the SDK misses it: it looks at the last 16 bytes exactly)', async () => {
    answer = { status: 200, body: '<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>\n  ' };
    expect(await complete({})).toMatchObject({ code: 'STORE_FAILED', retryable: true, message: expect.stringMatching(/k: InternalError: We encountered an internal error\./) });
  });

  it('a well-formed answer completes', async () => {
    answer = { status: 200, body: '<CompleteMultipartUploadResult><ETag>&quot;x-1&quot;</ETag></CompleteMultipartUploadResult>' };
    expect(await complete({})).toEqual({ ok: 'object' });
  });
});
