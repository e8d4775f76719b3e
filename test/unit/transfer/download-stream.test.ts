import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { downloadVerified } from '../../../src/transfer/download-stream.js';
import { loadHasher } from '../../../src/model/hasher.js';
import type { Manifest } from '../../../src/model/manifest.js';
import { ProgressMeter } from '../../../src/transfer/progress.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { sampleManifest } from '../model/fixtures.js';
import { KiB, decorated, upload } from './fixtures.js';

const log = pino({ level: 'silent' });

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
      store: decorated(store), manifest: m, window: 3, hasher: await loadHasher(), meter: new ProgressMeter({ controller: ac }), signal: ac.signal, log,
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
