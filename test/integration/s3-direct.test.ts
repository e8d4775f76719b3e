import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, SnapstreamError } from '../../src/errors.js';
import type { ResolvedS3Config as S3StoreConfig } from '../../src/store/s3/s3-config.js';
import { S3Store } from '../../src/store/s3/s3-store.js';
import { decorateStore } from '../../src/store/decorators/decorate-store.js';
import { downloadVerified } from '../../src/transfer/download-stream.js';
import { loadHasher } from '../../src/model/hasher.js';
import type { Manifest } from '../../src/model/manifest.js';
import { ProgressMeter } from '../../src/transfer/progress.js';
import { makeTestPki } from '../agent/helpers/make-certs.js';
import { silentLog } from '../helpers/core-fixture.js';
import { createBucket, emptyAndDeleteBucket, getTestEnv, needs, uniqueName } from '../helpers/test-env.js';

/**
 * The SDK-less path for the stream's bytes (S3Direct + HttpRangeClient): the restore's ranged GETs
 * (S3Store.getInto) and the backup's UploadPart PUTs. Byte-exact against radosgw, and strict against
 * a loopback server of this test's own that answers wrongly in every way the client must refuse
 * (short body, wrong Content-Range, 200 for a range, chunked, a cut connection, more bytes than
 * declared, error statuses).
 */
const MiB = 1024 * 1024;

function cfg(endpoint: string, bucket = 'bkt'): S3StoreConfig {
  return { provider: 'aws', bucket, region: 'us-east-1', endpoint, forcePathStyle: true, insecureSkipTLSVerify: false, checksums: 'WHEN_REQUIRED' };
}

describe.skipIf(!needs('s3'))('fast ranged GET against radosgw', () => {
  const ep = getTestEnv().s3!;
  const bucket = uniqueName('fastget');
  let store: S3Store;
  const data = randomBytes(6 * MiB + 12345);
  const key = 'dir/odd key+%=ü.bin';

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = ep.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = ep.secretAccessKey;
    await createBucket(ep, bucket);
    store = new S3Store(cfg(ep.endpoint, bucket), { root: 'fast/root', log: silentLog });
    await store.put(key, data);
  });
  afterAll(async () => {
    await store?.close();
    await emptyAndDeleteBucket(ep, bucket);
  });

  it('returns exactly the bytes of each range: random ones, the first and last byte, over the end, zero length', async () => {
    expect(store.getInto).toBeDefined();
    const ranges: Array<[number, number]> = [
      [0, 1],
      [data.length - 1, 1],
      [0, data.length],
      [data.length - 100, 1000], // runs over the end: the 100 bytes that exist
      [12345, 0],
    ];
    for (let i = 0; i < 12; i++) {
      const off = Math.floor(Math.random() * data.length);
      ranges.push([off, 1 + Math.floor(Math.random() * Math.min(3 * MiB, data.length - off))]);
    }
    for (const [offset, length] of ranges) {
      // A larger buffer than the range, pre-filled: nothing past the range may be touched.
      const into = Buffer.alloc(length + 64, 0xab);
      const n = await store.getInto!(key, { offset, length }, into);
      const want = data.subarray(offset, offset + length);
      expect(n, `range ${offset}+${length}`).toBe(want.length);
      expect(into.subarray(0, n).equals(want), `range ${offset}+${length}`).toBe(true);
      expect(into.subarray(n).every((b) => b === 0xab), `range ${offset}+${length}: bytes past it untouched`).toBe(true);
    }
  });

  it('a missing key is NOT_FOUND, a range past the end STORE_FAILED not retryable, wrong credentials not retryable', async () => {
    const miss = await store.getInto!('dir/missing', { offset: 0, length: 10 }, Buffer.alloc(10)).catch((e: SnapstreamError) => e);
    expect((miss as SnapstreamError).code).toBe(ErrorCode.NOT_FOUND);
    const past = await store.getInto!(key, { offset: data.length + 10, length: 10 }, Buffer.alloc(10)).catch((e: SnapstreamError) => e);
    expect((past as SnapstreamError).code).toBe(ErrorCode.STORE_FAILED);
    expect((past as SnapstreamError).retryable).toBe(false);
    // The SDK's default chain reads the environment when first asked (the first request).
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong-secret';
    const denied = new S3Store(cfg(ep.endpoint, bucket), { root: 'fast/root', log: silentLog });
    try {
      const e = (await denied.getInto!(key, { offset: 0, length: 10 }, Buffer.alloc(10)).catch((x) => x)) as SnapstreamError;
      process.env.AWS_SECRET_ACCESS_KEY = ep.secretAccessKey;
      expect(e.code).toBe(ErrorCode.STORE_FAILED);
      expect(e.retryable).toBe(false);
      expect(e.message).toMatch(/access denied/);
      expect(e.message).not.toMatch(/wrong-secret/);
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = ep.secretAccessKey;
      await denied.close();
    }
  });

  it('a multipart upload through the direct PUT, signed and unsigned, reads back byte for byte', async () => {
    expect(store.directPut).toBe(true);
    for (const sign of ['true', 'false']) {
      process.env.SNAPSTREAM_S3_SIGN_PAYLOAD = sign;
      const s = new S3Store(cfg(ep.endpoint, bucket), { root: 'fast/root', log: silentLog });
      try {
        expect(s.signParts).toBe(sign === 'true');
        // Signed parts: the pipeline hands the store each part's SHA-256 (computed as the bytes arrive).
        expect(s.limits.wantsPartSha256).toBe(sign === 'true');
        const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(12345)];
        const up = await s.createUpload(`put/${sign}`);
        // Out of order and concurrently, as the pipeline sends them.
        await Promise.all([2, 0, 1].map((i) => up.uploadPart({ number: i + 1, offset: i * 5 * MiB, data: parts[i]! })));
        const info = await up.complete();
        const whole = Buffer.concat(parts);
        expect(info.size).toBe(whole.length);
        const back = Buffer.alloc(whole.length);
        expect(await s.getInto!(`put/${sign}`, { offset: 0, length: whole.length }, back)).toBe(whole.length);
        expect(back.equals(whole)).toBe(true);
      } finally {
        delete process.env.SNAPSTREAM_S3_SIGN_PAYLOAD;
        await s.close();
      }
    }
  });

  it('a part with the SHA-256 its caller computed is signed with that digest (direct and SDK PUT); a wrong one is refused', async () => {
    for (const fast of ['true', 'false']) {
      process.env.SNAPSTREAM_S3_FAST_PUT = fast;
      // Unsigned by default: the known digest must still be signed (the server checks it).
      process.env.SNAPSTREAM_S3_SIGN_PAYLOAD = 'false';
      const s = new S3Store(cfg(ep.endpoint, bucket), { root: 'fast/root', log: silentLog });
      try {
        expect(s.directPut).toBe(fast === 'true');
        const good = randomBytes(5 * MiB);
        const last = randomBytes(777);
        const up = await s.createUpload(`known/${fast}`);
        await up.uploadPart({ number: 1, offset: 0, data: good, sha256: createHash('sha256').update(good).digest('hex') });
        // The digest of other bytes: radosgw compares it with the body it received and refuses the part.
        const wrong = (await up
          .uploadPart({ number: 2, offset: good.length, data: last, sha256: createHash('sha256').update(good).digest('hex') })
          .catch((e: unknown) => e)) as SnapstreamError;
        expect(wrong).toBeInstanceOf(SnapstreamError);
        expect(wrong.code).toBe(ErrorCode.STORE_FAILED);
        await up.uploadPart({ number: 2, offset: good.length, data: last, sha256: createHash('sha256').update(last).digest('hex') });
        const info = await up.complete();
        const whole = Buffer.concat([good, last]);
        expect(info.size).toBe(whole.length);
        const back = Buffer.alloc(whole.length);
        expect(await s.getInto!(`known/${fast}`, { offset: 0, length: whole.length }, back)).toBe(whole.length);
        expect(back.equals(whole)).toBe(true);
      } finally {
        delete process.env.SNAPSTREAM_S3_FAST_PUT;
        delete process.env.SNAPSTREAM_S3_SIGN_PAYLOAD;
        await s.close();
      }
    }
  });

  it('a put with the SHA-256 its caller computed (a dedup segment id) is signed with it; a wrong one is refused', async () => {
    const body = randomBytes(300_000);
    const sha = createHash('sha256').update(body).digest('hex');
    await store.put('known/put-good', body, { sha256: sha });
    const back = Buffer.alloc(body.length);
    expect(await store.getInto!('known/put-good', { offset: 0, length: body.length }, back)).toBe(body.length);
    expect(back.equals(body)).toBe(true);
    const e = (await store.put('known/put-bad', body, { sha256: createHash('sha256').update('other').digest('hex') }).catch((x: unknown) => x)) as SnapstreamError;
    expect(e).toBeInstanceOf(SnapstreamError);
    expect(e.code).toBe(ErrorCode.STORE_FAILED);
    expect(await store.head('known/put-bad')).toBeUndefined();
  });

  it('many concurrent ranges over kept-alive connections stay byte-exact', async () => {
    const size = MiB;
    const bufs = Array.from({ length: 4 }, () => Buffer.alloc(size));
    for (let round = 0; round < 6; round++) {
      await Promise.all(
        bufs.map(async (b, i) => {
          const offset = ((round * 4 + i) * 777_777) % (data.length - size);
          expect(await store.getInto!(key, { offset, length: size }, b)).toBe(size);
          expect(b.equals(data.subarray(offset, offset + size))).toBe(true);
        }),
      );
    }
  });
});

// ------------------------------------------------------------------ a server that answers wrongly

interface SeenRequest {
  method: string;
  target: string;
  range: [number, number];
  headers: Map<string, string>;
  body?: Buffer;
}
type Answer = (req: SeenRequest, sock: net.Socket) => void;

/** A loopback HTTP server that answers each request with `answers[i]` (the last one repeats). */
async function fakeServer(answers: Answer[], tlsOpts?: { cert: Buffer; key: Buffer }) {
  const seen: SeenRequest[] = [];
  const sockets = new Set<net.Socket>();
  const onConnection = (sock: net.Socket) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = '';
    // A request body (PUT) is consumed before the request is answered.
    let body: { left: number; req: SeenRequest; bytes: Buffer[] } | undefined;
    const answer = (req: SeenRequest) => answers[Math.min(seen.indexOf(req), answers.length - 1)]!(req, sock);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      for (;;) {
        if (body) {
          const take = Math.min(body.left, buf.length);
          body.bytes.push(Buffer.from(buf.slice(0, take), 'latin1'));
          body.left -= take;
          buf = buf.slice(take);
          if (body.left > 0) return;
          const done = body;
          body = undefined;
          done.req.body = Buffer.concat(done.bytes);
          answer(done.req);
          continue;
        }
        const i = buf.indexOf('\r\n\r\n');
        if (i < 0) return;
        const head = buf.slice(0, i).split('\r\n');
        buf = buf.slice(i + 4);
        const headers = new Map(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
        const m = /bytes=(\d+)-(\d+)/.exec(headers.get('range') ?? '');
        const [method, target] = head[0]!.split(' ') as [string, string];
        const req: SeenRequest = { method, target, range: m ? [Number(m[1]), Number(m[2])] : [-1, -1], headers };
        seen.push(req);
        const len = Number(headers.get('content-length') ?? 0);
        if (len > 0) body = { left: len, req, bytes: [] };
        else answer(req);
      }
    });
  };
  const server = tlsOpts ? tls.createServer(tlsOpts, onConnection) : net.createServer(onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${tlsOpts ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const OBJ = randomBytes(256 * 1024);
const total = OBJ.length;
const head = (status: string, h: Record<string, string | number>) =>
  `HTTP/1.1 ${status}\r\n${Object.entries(h).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
/** The right answer. */
const right: Answer = (req, sock) => {
  const [a, b] = req.range;
  const body = OBJ.subarray(a, Math.min(b, total - 1) + 1);
  sock.write(head('206 Partial Content', { 'Content-Length': body.length, 'Content-Range': `bytes ${a}-${a + body.length - 1}/${total}` }));
  // In pieces, so the body crosses reads.
  for (let i = 0; i < body.length; i += 10_000) sock.write(body.subarray(i, i + 10_000));
};

describe('fast ranged GET refuses wrong answers', () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'TESTAK';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'TESTSK';
  let srv: Awaited<ReturnType<typeof fakeServer>> | undefined;
  afterAll(async () => srv?.close());

  const attempt = async (answers: Answer[], range = { offset: 1000, length: 100_000 }) => {
    await srv?.close();
    srv = await fakeServer(answers);
    const store = new S3Store(cfg(srv.url), { root: '', log: silentLog });
    const into = Buffer.alloc(range.length);
    try {
      const n = await store.getInto!('k', range, into);
      return { n, into, err: undefined as SnapstreamError | undefined };
    } catch (e) {
      return { n: -1, into, err: e as SnapstreamError };
    } finally {
      await store.close();
    }
  };

  it('a right answer in pieces is byte-exact, signed, and asks for exactly the range', async () => {
    const r = await attempt([right]);
    expect(r.err).toBeUndefined();
    expect(r.n).toBe(100_000);
    expect(r.into.equals(OBJ.subarray(1000, 101_000))).toBe(true);
    expect(srv!.seen[0]!.range).toEqual([1000, 100_999]);
    expect(srv!.seen[0]!.headers.get('authorization')).toMatch(/^AWS4-HMAC-SHA256 Credential=/);
    expect(srv!.seen[0]!.headers.get('authorization')).not.toMatch(process.env.AWS_SECRET_ACCESS_KEY!);
  });

  const refusals: Array<[string, Answer, boolean]> = [
    [
      'a short body and a closed connection (retryable)',
      (req, sock) => {
        const [a, b] = req.range;
        sock.write(head('206 Partial Content', { 'Content-Length': b - a + 1, 'Content-Range': `bytes ${a}-${b}/${total}` }));
        sock.end(OBJ.subarray(a, a + 5000));
      },
      true,
    ],
    [
      'a connection reset mid-body (retryable)',
      (req, sock) => {
        const [a, b] = req.range;
        sock.write(head('206 Partial Content', { 'Content-Length': b - a + 1, 'Content-Range': `bytes ${a}-${b}/${total}` }));
        sock.write(OBJ.subarray(a, a + 50_000), () => setTimeout(() => sock.resetAndDestroy(), 20));
      },
      true,
    ],
    [
      'a Content-Range for other bytes',
      (req, sock) => {
        const [a, b] = req.range;
        sock.write(head('206 Partial Content', { 'Content-Length': b - a + 1, 'Content-Range': `bytes ${a + 1}-${b + 1}/${total}` }));
        sock.write(OBJ.subarray(a + 1, b + 2));
      },
      false,
    ],
    [
      'a shorter Content-Range that is not the end of the object',
      (req, sock) => {
        const [a] = req.range;
        sock.write(head('206 Partial Content', { 'Content-Length': 10, 'Content-Range': `bytes ${a}-${a + 9}/${total}` }));
        sock.write(OBJ.subarray(a, a + 10));
      },
      false,
    ],
    [
      'a Content-Length that disagrees with Content-Range',
      (req, sock) => {
        const [a, b] = req.range;
        sock.write(head('206 Partial Content', { 'Content-Length': b - a, 'Content-Range': `bytes ${a}-${b}/${total}` }));
        sock.write(OBJ.subarray(a, b));
      },
      false,
    ],
    [
      '200 with the whole object instead of 206',
      (_req, sock) => {
        sock.write(head('200 OK', { 'Content-Length': total }));
        sock.write(OBJ);
      },
      false,
    ],
    [
      'a chunked 206',
      (req, sock) => {
        const [a, b] = req.range;
        sock.write(head('206 Partial Content', { 'Transfer-Encoding': 'chunked', 'Content-Range': `bytes ${a}-${b}/${total}` }));
        sock.write(`${(b - a + 1).toString(16)}\r\n`);
        sock.write(OBJ.subarray(a, b + 1));
        sock.write('\r\n0\r\n\r\n');
      },
      false,
    ],
    [
      'a 206 without Content-Range',
      (req, sock) => {
        const [a, b] = req.range;
        sock.write(head('206 Partial Content', { 'Content-Length': b - a + 1 }));
        sock.write(OBJ.subarray(a, b + 1));
      },
      false,
    ],
    [
      'a garbage status line',
      (_req, sock) => sock.write('HTTP/9 what\r\n\r\n'),
      false,
    ],
    [
      'more body bytes than Content-Length in one write',
      (req, sock) => {
        const [a] = req.range;
        const h = head('206 Partial Content', { 'Content-Length': 10, 'Content-Range': `bytes ${a}-${a + 9}/${a + 10}` });
        sock.write(Buffer.concat([Buffer.from(h, 'latin1'), OBJ.subarray(a, a + 200)]));
      },
      false,
    ],
    ['503 Slow Down (retryable)', (_req, sock) => sock.write(head('503 Slow Down', { 'Content-Length': 0 })), true],
    ['429 Too Many Requests (retryable)', (_req, sock) => sock.write(head('429 Too Many Requests', { 'Content-Length': 0 })), true],
    [
      '400 with an S3 error document',
      (_req, sock) => {
        const body = '<?xml version="1.0"?><Error><Code>InvalidArgument</Code><Message>nope</Message></Error>';
        sock.write(head('400 Bad Request', { 'Content-Length': body.length, 'Content-Type': 'application/xml' }) + body);
      },
      false,
    ],
  ];
  for (const [name, answer, retryable] of refusals) {
    it(`refuses ${name}`, async () => {
      const r = await attempt([answer]);
      expect(r.n).toBe(-1);
      expect(r.err).toBeInstanceOf(SnapstreamError);
      expect(r.err!.code).toBe(ErrorCode.STORE_FAILED);
      expect(r.err!.retryable).toBe(retryable);
      expect(r.err!.message).toMatch(/s3:\/\/bkt at http:\/\/127\.0\.0\.1:\d+: k/);
    });
  }

  it('over https (tls.connect with onread): byte-exact with the CA given, refused for an untrusted certificate', async () => {
    const pki = makeTestPki();
    try {
      await srv?.close();
      srv = await fakeServer([right], { cert: pki.read(pki.serverCert), key: pki.read(pki.serverKey) });
      const trusting = new S3Store({ ...cfg(srv.url), caCertPem: pki.read(pki.caFile).toString() }, { root: '', log: silentLog });
      const into = Buffer.alloc(200_000);
      try {
        expect(await trusting.getInto!('k', { offset: 5000, length: 200_000 }, into)).toBe(200_000);
        expect(into.equals(OBJ.subarray(5000, 205_000))).toBe(true);
        // https: parts go out UNSIGNED-PAYLOAD (TLS protects them), through the same client.
        const upServer = await fakeServer([(_req, sock) => sock.write(head('200 OK', { ETag: '"e"', 'Content-Length': 0 }))], {
          cert: pki.read(pki.serverCert),
          key: pki.read(pki.serverKey),
        });
        try {
          const s2 = new S3Store({ ...cfg(upServer.url), caCertPem: pki.read(pki.caFile).toString() }, { root: '', log: silentLog });
          const orig = s2.call.bind(s2);
          s2.call = (async () => ({ UploadId: 'u' })) as typeof s2.call;
          const up = await s2.createUpload('k');
          s2.call = orig;
          await up.uploadPart({ number: 1, offset: 0, data: OBJ.subarray(0, 100_000) });
          expect(upServer.seen[0]!.headers.get('x-amz-content-sha256')).toBe('UNSIGNED-PAYLOAD');
          expect(upServer.seen[0]!.body!.equals(OBJ.subarray(0, 100_000))).toBe(true);
          await s2.close();
        } finally {
          await upServer.close();
        }
      } finally {
        await trusting.close();
      }
      const untrusting = new S3Store(cfg(srv.url), { root: '', log: silentLog });
      try {
        const e = (await untrusting.getInto!('k', { offset: 0, length: 10 }, Buffer.alloc(10)).catch((x) => x)) as SnapstreamError;
        expect(e.code).toBe(ErrorCode.STORE_FAILED);
        expect(e.message).toMatch(/TLS: .*certificate/i);
        expect(e.retryable).toBe(false);
      } finally {
        await untrusting.close();
      }
    } finally {
      rmSync(pki.dir, { recursive: true, force: true });
    }
  });

  it('404 is NOT_FOUND; 403 is a permanent access-denied error', async () => {
    const nf = await attempt([(_r, s) => s.write(head('404 Not Found', { 'Content-Length': 0 }))]);
    expect(nf.err!.code).toBe(ErrorCode.NOT_FOUND);
    const body = '<Error><Code>SignatureDoesNotMatch</Code></Error>';
    const denied = await attempt([(_r, s) => s.write(head('403 Forbidden', { 'Content-Length': body.length }) + body)]);
    expect(denied.err!.code).toBe(ErrorCode.STORE_FAILED);
    expect(denied.err!.retryable).toBe(false);
    expect(denied.err!.message).toMatch(/access denied/);
  });

  it('a kept-alive connection the server closed meanwhile is replaced without an error', async () => {
    srv?.close();
    // Request 1 is answered and its connection kept; request 2 arrives on it just as the server
    // closes it (a keep-alive timeout race): no byte of an answer, so it is sent again, fresh.
    srv = await fakeServer([right, (_req, sock) => sock.destroy(), right]);
    const store = new S3Store(cfg(srv.url), { root: '', log: silentLog });
    try {
      const a = Buffer.alloc(5000);
      expect(await store.getInto!('k', { offset: 0, length: 5000 }, a)).toBe(5000);
      const b = Buffer.alloc(5000);
      expect(await store.getInto!('k', { offset: 7000, length: 5000 }, b)).toBe(5000);
      expect(b.equals(OBJ.subarray(7000, 12_000))).toBe(true);
      expect(srv.seen.length).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('aborting mid-body rejects ABORTED at once', async () => {
    srv?.close();
    srv = await fakeServer([
      (req, sock) => {
        const [a, b] = req.range;
        sock.write(head('206 Partial Content', { 'Content-Length': b - a + 1, 'Content-Range': `bytes ${a}-${b}/${total}` }));
        sock.write(OBJ.subarray(a, a + 1000)); // and then nothing
      },
    ]);
    const store = new S3Store(cfg(srv.url), { root: '', log: silentLog });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    try {
      const e = (await store.getInto!('k', { offset: 0, length: 100_000 }, Buffer.alloc(100_000), { signal: ac.signal }).catch((x) => x)) as SnapstreamError;
      expect(e.code).toBe(ErrorCode.ABORTED);
    } finally {
      await store.close();
    }
  });

  /** An UploadPart through the direct PUT against the fake server (the upload id is made up). */
  const putPart = async (answers: Answer[]) => {
    await srv?.close();
    srv = await fakeServer(answers);
    const store = new S3Store(cfg(srv.url), { root: '', log: silentLog });
    try {
      const up = await fakeUpload(store);
      await up.uploadPart({ number: 3, offset: 0, data: OBJ.subarray(0, 70_000) });
      return { err: undefined as SnapstreamError | undefined, etags: (up as unknown as { etags: Map<number, string> }).etags };
    } catch (e) {
      return { err: e as SnapstreamError, etags: undefined };
    } finally {
      await store.close();
    }
  };
  /** An S3Upload object without a CreateMultipartUpload call (the fake server answers PUTs only). */
  const fakeUpload = async (store: S3Store) => {
    const orig = store.call.bind(store);
    // S3Control.createUpload resolves with the UploadId, the SDK's command with { UploadId }.
    store.call = (async () => (store.control ? 'UP/ID+1' : { UploadId: 'UP/ID+1' })) as typeof store.call;
    try {
      return await store.createUpload('k');
    } finally {
      store.call = orig;
    }
  };
  const putAnswer = (status: string, h: Record<string, string | number>, body = ''): Answer => (_req, sock) =>
    sock.write(head(status, { ...h, 'Content-Length': body.length }) + body);

  it('a direct UploadPart sends the part signed with its query, and keeps the ETag', async () => {
    const r = await putPart([putAnswer('200 OK', { ETag: '"abc"' })]);
    expect(r.err).toBeUndefined();
    expect(r.etags!.get(3)).toBe('"abc"');
    const h = srv!.seen[0]!.headers;
    expect(srv!.seen[0]!.method).toBe('PUT');
    expect(srv!.seen[0]!.target).toBe('/bkt/k?partNumber=3&uploadId=UP%2FID%2B1');
    expect(h.get('content-length')).toBe('70000');
    expect(srv!.seen[0]!.body!.equals(OBJ.subarray(0, 70_000))).toBe(true);
    expect(h.get('x-amz-content-sha256')).toMatch(/^[0-9a-f]{64}$/); // http endpoint: payload signed
    expect(h.get('authorization')).toMatch(/^AWS4-HMAC-SHA256 /);
  });

  it('a direct UploadPart fails cleanly: 500 and a cut connection retryable, 403 and a missing ETag classified', async () => {
    const e500 = await putPart([putAnswer('500 Internal Server Error', {}, '<Error><Code>InternalError</Code></Error>')]);
    expect([e500.err!.code, e500.err!.retryable]).toEqual([ErrorCode.STORE_FAILED, true]);
    const cut = await putPart([(_req, sock) => sock.resetAndDestroy()]);
    expect([cut.err!.code, cut.err!.retryable]).toEqual([ErrorCode.STORE_FAILED, true]);
    const denied = await putPart([putAnswer('403 Forbidden', {}, '<Error><Code>AccessDenied</Code></Error>')]);
    expect([denied.err!.code, denied.err!.retryable]).toEqual([ErrorCode.STORE_FAILED, false]);
    const noEtag = await putPart([putAnswer('200 OK', {})]);
    expect(noEtag.err!.message).toMatch(/no ETag for part 3/);
    const chunked = await putPart([(_req, sock) => sock.write(head('200 OK', { ETag: '"x"', 'Transfer-Encoding': 'chunked' }) + '0\r\n\r\n')]);
    expect([chunked.err!.code, chunked.err!.retryable]).toEqual([ErrorCode.STORE_FAILED, false]);
  });

  it('a restore download retries a part whose connection was cut and hands on verified bytes only', async () => {
    const hasher = await loadHasher();
    const partSize = 64 * 1024;
    const parts = [0, 1, 2, 3].map((i) => ({ n: i + 1, offset: i * partSize, size: partSize, xxh64: hasher.hashHex(OBJ.subarray(i * partSize, (i + 1) * partSize)) }));
    const manifest = { backup: 'b', dataKey: 'k', size: total, parts, streamHash: hasher.hashHex(OBJ) } as unknown as Manifest;
    const cut: Answer = (req, sock) => {
      const [a, b] = req.range;
      sock.write(head('206 Partial Content', { 'Content-Length': b - a + 1, 'Content-Range': `bytes ${a}-${b}/${total}` }));
      sock.end(OBJ.subarray(a, a + 100));
    };
    srv?.close();
    srv = await fakeServer([right, cut, right]);
    // Retried by the store's retry decorator, as every store openStore() hands out.
    const store = decorateStore(new S3Store(cfg(srv.url), { root: '', log: silentLog }), { log: silentLog });
    const meter = new ProgressMeter({ controller: new AbortController() });
    const got: Buffer[] = [];
    try {
      const { bytes } = await downloadVerified({
        store,
        manifest,
        window: 1,
        hasher,
        meter,
        signal: new AbortController().signal,
        log: silentLog,
        sink: async (d) => void got.push(Buffer.from(d)),
      });
      expect(bytes).toBe(total);
      expect(Buffer.concat(got).equals(OBJ)).toBe(true);
      expect(meter.partsRetried).toBe(1);
      expect(srv.seen.length).toBe(5);
    } finally {
      meter.stop();
      await store.close();
    }
  });
});
