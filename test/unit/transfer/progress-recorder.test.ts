import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { MultipartUpload } from '../../../src/store/object-store.js';
import type { PartPlan } from '../../../src/plan/part-plan.js';
import { parseProgress, progressKeyFor } from '../../../src/transfer/progress-record.js';
import { ProgressRecorder } from '../../../src/transfer/progress-recorder.js';
import { MemoryStore } from '../../helpers/memory-store.js';

const plan: PartPlan = { initialPartSize: 100, growEvery: 1000, maxPartSize: 1000, maxParts: 10_000 };
const log = pino({ level: 'silent' });
const h = '0123456789abcdef';

function setup() {
  const store = new MemoryStore();
  let puts = 0;
  const put = store.put.bind(store);
  store.put = async (k, b) => {
    puts++;
    await put(k, b);
  };
  let checkpoints = 0;
  const upload = { key: 'd', handle: 'u-1', receiptOf: (n: number) => `"e${n}"`, checkpoint: async () => void checkpoints++ } as unknown as MultipartUpload;
  const rec = new ProgressRecorder({
    store,
    upload,
    plan,
    base: { dataKey: 'd', snapshotGuid: '1', previousSnapshotGuid: '', sendArgs: ['send', 'p/v@s'], partPlan: plan, startedAt: 'now' },
    log,
    signal: new AbortController().signal,
  });
  const read = () => parseProgress(store.objects.get(progressKeyFor('d'))!, 'r');
  return { store, rec, read, puts: () => puts, checkpoints: () => checkpoints };
}

describe('ProgressRecorder', () => {
  it('rewrites at bounded cost: 1,000 parts stored at once cost a handful of writes; flush writes them all', async () => {
    const t = setup();
    await t.rec.start();
    expect(t.read().parts).toEqual([]);
    for (let n = 1; n <= 1000; n++) t.rec.stored({ n, offset: (n - 1) * 100, size: 100, xxh64: h });
    await new Promise((r) => setTimeout(r, 50));
    expect(t.puts()).toBeLessThanOrEqual(3);
    await t.rec.flush();
    const r = t.read();
    expect(r.parts).toHaveLength(1000);
    expect(r.parts[999]).toEqual({ n: 1000, offset: 99_900, size: 100, xxh64: h, receipt: '"e1000"' });
    expect(r.uploadHandle).toBe('u-1');
    // Every write checkpointed the upload first (local store: fsync before the record names parts).
    expect(t.checkpoints()).toBe(t.puts());
  });

  it('catches up after the interval without another part (a trailing write)', async () => {
    const t = setup();
    await t.rec.start();
    t.rec.stored({ n: 1, offset: 0, size: 100, xxh64: h });
    t.rec.stored({ n: 2, offset: 100, size: 100, xxh64: h });
    await new Promise((r) => setTimeout(r, 700));
    expect(t.read().parts.map((p) => p.n)).toEqual([1, 2]);
    await t.rec.remove();
    expect(t.store.objects.has(progressKeyFor('d'))).toBe(false);
  });

  it('never records a short part (a stream cut short by a dying zfs send ends with one)', async () => {
    const t = setup();
    await t.rec.start();
    t.rec.stored({ n: 1, offset: 0, size: 100, xxh64: h });
    t.rec.stored({ n: 2, offset: 100, size: 42, xxh64: h });
    await t.rec.flush();
    expect(t.read().parts.map((p) => p.n)).toEqual([1]);
    expect(t.rec.partCount).toBe(1);
  });
});
