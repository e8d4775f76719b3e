import { describe, expect, it } from 'vitest';
import { ConcurrencyLimitedStore } from '../../../../src/store/decorators/concurrency-limited-store.js';
import { MemoryStore } from '../../../helpers/memory-store.js';

describe('ConcurrencyLimitedStore', () => {
  it('never lets more than the limit run, and a streamed get holds its slot until its body is done', async () => {
    const store = new MemoryStore();
    await store.put('k', Buffer.alloc(10));
    store.onPart = () => new Promise((r) => setTimeout(r, 10));
    const s = new ConcurrencyLimitedStore(store, 2);
    const up = await s.createUpload('obj');
    await Promise.all([1, 2, 3, 4, 5, 6].map((n) => up.uploadPart({ number: n, offset: 0, data: Buffer.alloc(1) })));
    expect(store.maxInFlight).toBe(2);
    const a = await s.get('k');
    const b = await s.get('k');
    let third = false;
    const c = s.head('k').then(() => (third = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    a.destroy();
    await c;
    expect(third).toBe(true);
    b.destroy();
  });

  it('a call waiting for a slot leaves the queue when its signal aborts', async () => {
    const store = new MemoryStore();
    await store.put('k', Buffer.alloc(1));
    const s = new ConcurrencyLimitedStore(store, 1);
    const held = await s.get('k');
    const ac = new AbortController();
    const waiting = s.head('k', { signal: ac.signal });
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    held.destroy();
    expect(await s.head('k')).toMatchObject({ size: 1 });
  });
});
