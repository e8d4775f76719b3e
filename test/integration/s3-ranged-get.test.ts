import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, SnapstreamError } from '../../src/errors.js';
import type { S3StoreConfig } from '../../src/location/location-config.js';
import { S3Store } from '../../src/store/s3-store.js';
import { downloadVerified } from '../../src/transfer/download-stream.js';
import { loadHasher } from '../../src/transfer/hasher.js';
import type { Manifest } from '../../src/transfer/manifest.js';
import { ProgressMeter } from '../../src/transfer/progress.js';
import { silentLog } from '../helpers/core-fixture.js';
import { createBucket, emptyAndDeleteBucket, getTestEnv, needs, uniqueName } from '../helpers/test-env.js';

/**
 * The restore's fast ranged GET (S3RangedGet + HttpRangeClient, used through S3Store.getInto):
 * byte-exact against radosgw, and strict against a loopback server of this test's own that answers
 * wrongly in every way the client must refuse (short body, wrong Content-Range, 200 for a range,
 * chunked, a cut connection, more bytes than declared, error statuses).
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

type Answer = (req: { range: [number, number]; headers: Map<string, string> }, sock: net.Socket) => void;

/** A loopback HTTP server that answers each request with `answers[i]` (the last one repeats). */
async function fakeServer(answers: Answer[]) {
  const seen: Array<{ range: [number, number]; headers: Map<string, string> }> = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, i).split('\r\n');
        buf = buf.slice(i + 4);
        const headers = new Map(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
        const m = /bytes=(\d+)-(\d+)/.exec(headers.get('range') ?? '')!;
        const req = { range: [Number(m[1]), Number(m[2])] as [number, number], headers };
        seen.push(req);
        answers[Math.min(seen.length - 1, answers.length - 1)]!(req, sock);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
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
    const store = new S3Store(cfg(srv.url), { root: '', log: silentLog });
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
