import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SnapstreamError } from '../../../src/errors.js';
import { loadHasher } from '../../../src/model/hasher.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { KiB, upload } from './fixtures.js';


describe('upload pipeline', () => {
  it('hands a store that signs part SHA-256s (S3 over http) each part\'s digest, and no other store any', async () => {
    const data = randomBytes(700 * KiB + 9);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    for (const wants of [true, false]) {
      const store = new MemoryStore();
      store.limits = { ...store.limits, wantsPartSha256: wants };
      const seen = new Map<number, string | undefined>();
      store.onPart = (part) => void seen.set(part.number, part.sha256);
      const { r } = await upload(store, data, 256 * KiB, 2);
      expect(r.parts).toHaveLength(3);
      for (const p of r.parts) {
        expect(seen.get(p.n)).toBe(wants ? sha(data.subarray(p.offset, p.offset + p.size)) : undefined);
      }
    }
  });

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

  it('counts the retries the store\'s retry decorator makes of a failed part, and fails on a permanent error', async () => {
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
