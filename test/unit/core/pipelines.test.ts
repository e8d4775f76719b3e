import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SnapstreamError } from '../../../src/errors.js';
import { downloadVerified } from '../../../src/transfer/download-stream.js';
import { loadHasher } from '../../../src/model/hasher.js';
import type { Manifest } from '../../../src/model/manifest.js';
import { planParts } from '../../../src/transfer/part-plan.js';
import { ProgressMeter } from '../../../src/transfer/progress.js';
import { uploadStream } from '../../../src/transfer/upload-stream.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { sampleManifest } from './manifest.test.js';

const log = pino({ level: 'silent' });
const KiB = 1024;

function chunked(data: Buffer, size = 64 * KiB): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return Readable.from(chunks);
}

async function upload(store: MemoryStore, data: Buffer | Readable, partSize: number, concurrency: number) {
  const ac = new AbortController();
  const up = await store.createUpload('obj');
  const meter = new ProgressMeter({ controller: ac });
  const r = await uploadStream(Buffer.isBuffer(data) ? chunked(data) : data, {
    upload: up, limits: store.limits, plan: planParts({ limits: store.limits, partSize }), concurrency,
    hasher: await loadHasher(), meter, signal: ac.signal, log,
  });
  await up.complete();
  return { r, meter };
}

describe('upload pipeline', () => {
  it('cuts parts, hashes them, and reassembles byte for byte', async () => {
    const store = new MemoryStore();
    const data = randomBytes(1000 * KiB + 123);
    const { r } = await upload(store, data, 256 * KiB, 3);
    expect(r.size).toBe(data.length);
    expect(r.parts.map((p) => p.size)).toEqual([256 * KiB, 256 * KiB, 256 * KiB, 232 * KiB + 123]);
    expect(store.objects.get('obj')!.equals(data)).toBe(true);
    const h = await loadHasher();
    expect(r.streamHash).toBe(h.hashHex(data));
    expect(r.parts[1]!.xxh64).toBe(h.hashHex(data.subarray(256 * KiB, 512 * KiB)));
  });

  it('never has more than `concurrency` parts in flight, and a slow store holds the reader back', async () => {
    const store = new MemoryStore();
    store.onPart = () => new Promise((r) => setTimeout(r, 20));
    let read = 0;
    let maxAhead = 0;
    const partSize = 64 * KiB;
    const total = 40 * partSize;
    async function* src() {
      for (let i = 0; i < 40; i++) {
        read += partSize;
        // bytes read but not yet acknowledged by the store = what the agent holds in memory
        maxAhead = Math.max(maxAhead, read - store.partCalls * partSize);
        yield Buffer.alloc(partSize, i);
      }
    }
    const { meter } = await upload(store, Readable.from(src()), partSize, 2);
    expect(store.maxInFlight).toBe(2);
    // (concurrency + 1) buffers + the chunk being copied: the bound holds by construction
    expect(maxAhead).toBeLessThanOrEqual(4 * partSize);
    expect(meter.backpressureWaits).toBeGreaterThan(0);
    expect(store.objects.get('obj')!.length).toBe(total);
  });

  it('uploads strictly in order, one at a time, for in-order stores', async () => {
    const store = new MemoryStore();
    store.limits = { ...store.limits, parallelParts: false };
    const seen: number[] = [];
    store.onPart = async (p) => {
      seen.push(p.number);
      await new Promise((r) => setTimeout(r, Math.random() * 5));
    };
    await upload(store, randomBytes(10 * 64 * KiB), 64 * KiB, 4);
    expect(store.maxInFlight).toBe(1);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('retries retryable part failures and fails on permanent ones', async () => {
    const store = new MemoryStore();
    let failures = 0;
    store.onPart = (p) => {
      if (p.number === 2 && failures++ < 1) throw new SnapstreamError('STORE_FAILED', 'flaky', { retryable: true });
    };
    const data = randomBytes(3 * 64 * KiB);
    const { meter } = await upload(store, data, 64 * KiB, 2);
    expect(meter.partsRetried).toBe(1);
    expect(store.objects.get('obj')!.equals(data)).toBe(true);

    const bad = new MemoryStore();
    bad.onPart = (p) => {
      if (p.number === 3) throw new SnapstreamError('STORE_FAILED', 'access denied');
    };
    await expect(upload(bad, randomBytes(8 * 64 * KiB), 64 * KiB, 2)).rejects.toThrow('access denied');
  });
});

describe('verified download', () => {
  async function stored(data: Buffer) {
    const store = new MemoryStore();
    const { r } = await upload(store, data, 64 * KiB, 2);
    const m: Manifest = sampleManifest({ dataKey: 'obj', size: r.size, parts: r.parts, streamHash: r.streamHash });
    return { store, m };
  }
  async function download(store: MemoryStore, m: Manifest) {
    const ac = new AbortController();
    const out: Buffer[] = [];
    await downloadVerified({
      store, manifest: m, window: 3, hasher: await loadHasher(), meter: new ProgressMeter({ controller: ac }), signal: ac.signal, log,
      sink: async (d) => void out.push(Buffer.from(d)),
    });
    return Buffer.concat(out);
  }

  it('paces the sink to the rate limit (never faster than bytes / rate)', async () => {
    const data = randomBytes(6 * 64 * KiB);
    const { store, m } = await stored(data);
    const ac = new AbortController();
    const out: Buffer[] = [];
    const rate = 2 * 1024 * KiB; // 384 KiB at 2 MiB/s: at least ~187 ms
    const t0 = Date.now();
    await downloadVerified({
      store, manifest: m, window: 3, hasher: await loadHasher(), meter: new ProgressMeter({ controller: ac }), signal: ac.signal, log,
      sink: async (d) => void out.push(Buffer.from(d)), rateLimitBytesPerSec: rate,
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(Math.floor((data.length / rate) * 1000) - 5);
    expect(Buffer.concat(out).equals(data)).toBe(true);
  });

  it('returns the exact bytes', async () => {
    const data = randomBytes(5 * 64 * KiB + 7);
    const { store, m } = await stored(data);
    expect((await download(store, m)).equals(data)).toBe(true);
  });

  it('names the corrupt part and hands no byte of it (or after it) to the sink', async () => {
    const data = randomBytes(5 * 64 * KiB);
    const { store, m } = await stored(data);
    store.objects.get('obj')![3 * 64 * KiB + 5]! ^= 0xff;
    const ac = new AbortController();
    const out: number[] = [];
    const err = await downloadVerified({
      store, manifest: m, window: 2, hasher: await loadHasher(), meter: new ProgressMeter({ controller: ac }), signal: ac.signal, log,
      sink: async (_d, p) => void out.push(p.n),
    }).catch((e) => e);
    expect(err.code).toBe('INTEGRITY_MISMATCH');
    expect(err.message).toMatch(/part 4 \(bytes 196608\.\.262143\)/);
    expect(err.details).toMatchObject({ part: 4, expected: m.parts[3]!.xxh64 });
    expect(out).toEqual([1, 2, 3]);
  });

  it('detects a truncated object', async () => {
    const { store, m } = await stored(randomBytes(3 * 64 * KiB));
    store.objects.set('obj', store.objects.get('obj')!.subarray(0, 2 * 64 * KiB + 100));
    const err = await download(store, m).catch((e) => e);
    expect(err.code).toBe('TRUNCATED');
    expect(err.message).toMatch(/part 3 .* returned 100 of 65536 bytes/);
  });

  it('holds back the last part until the whole-stream hash matches', async () => {
    const { store, m } = await stored(randomBytes(3 * 64 * KiB));
    const wrong = { ...m, streamHash: 'ffffffffffffffff' };
    const err = await download(store, wrong).catch((e) => e);
    expect(err.code).toBe('INTEGRITY_MISMATCH');
    expect(err.message).toMatch(/whole-stream/);
  });
});
