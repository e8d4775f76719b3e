import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICIES } from '../../../../src/store/decorators/retry-policy.js';
import { RetryingStore } from '../../../../src/store/decorators/retrying-store.js';
import type { ObjectInfo } from '../../../../src/store/object-store.js';
import { MemoryStore } from '../../../helpers/memory-store.js';
import { flaky, denied, fast } from './fixtures.js';

describe('RetryingStore', () => {
  it('gives each kind of call exactly its policy\'s attempts, then the backend\'s error', async () => {
    const store = new MemoryStore();
    let heads = 0;
    store.head = async () => {
      heads++;
      throw flaky();
    };
    let parts = 0;
    store.onPart = () => {
      parts++;
      throw flaky();
    };
    const retried: number[] = [];
    const s = new RetryingStore(store, { policies: fast });
    const e = await s.head('k', { onRetry: (_e, n) => retried.push(n) }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'STORE_FAILED', retryable: true });
    expect(heads).toBe(DEFAULT_RETRY_POLICIES.head.attempts);
    expect(retried).toEqual([1, 2, 3]);
    const up = await s.createUpload('obj');
    await expect(up.uploadPart({ number: 1, offset: 0, data: Buffer.from('x') })).rejects.toThrow('flaky');
    expect(parts).toBe(DEFAULT_RETRY_POLICIES.putPart.attempts);
  });

  it('does not repeat a permanent error, a missing key, or an aborted call', async () => {
    const store = new MemoryStore();
    let puts = 0;
    store.put = async () => {
      puts++;
      throw denied();
    };
    const s = new RetryingStore(store, { policies: fast });
    await expect(s.put('k', Buffer.from('x'))).rejects.toThrow('access denied');
    expect(puts).toBe(1);
    let gets = 0;
    const get = store.get.bind(store);
    store.get = async (k, o) => {
      gets++;
      return get(k, o);
    };
    await expect(s.get('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(gets).toBe(1);
    const ac = new AbortController();
    store.head = async () => {
      ac.abort();
      throw flaky();
    };
    await expect(s.head('k', { signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('a list that breaks midway starts over and yields every key once', async () => {
    const store = new MemoryStore();
    for (const k of ['a/1', 'a/2', 'a/3', 'a/4']) await store.put(k, Buffer.from(k));
    let runs = 0;
    const inner = store.list.bind(store);
    store.list = async function* (prefix) {
      runs++;
      let n = 0;
      for await (const o of inner(prefix)) {
        if (runs === 1 && n++ === 2) throw flaky();
        yield o;
      }
    };
    const keys: string[] = [];
    for await (const o of new RetryingStore(store, { policies: fast }).list('a/')) keys.push((o as ObjectInfo).key);
    expect(runs).toBe(2);
    expect(keys.sort()).toEqual(['a/1', 'a/2', 'a/3', 'a/4']);
  });

  it('a ranged read whose body breaks is read again whole (getInto over a store that has only get)', async () => {
    const store = new MemoryStore();
    const data = Buffer.from('0123456789abcdef');
    await store.put('k', data);
    let gets = 0;
    store.get = async () => {
      gets++;
      const r = new Readable({ read() {} });
      r.push(data.subarray(0, 4));
      if (gets === 1) setImmediate(() => r.destroy());
      else {
        r.push(data.subarray(4, 10));
        r.push(null);
      }
      return r;
    };
    const into = Buffer.alloc(10);
    const retried: number[] = [];
    expect(await new RetryingStore(store, { policies: fast }).getInto('k', { offset: 0, length: 10 }, into, { onRetry: (_e, n) => retried.push(n) })).toBe(10);
    expect(into.equals(data.subarray(0, 10))).toBe(true);
    expect([gets, retried]).toEqual([2, [1]]);
  });

  it('keeps what the inner store has and lacks: resumeUpload, the upload handle and receipts', async () => {
    const store = new MemoryStore();
    const s = new RetryingStore(store);
    expect(s.resumeUpload).toBeUndefined();
    expect(typeof s.getInto).toBe('function');
    const up = await s.createUpload('obj');
    expect(up.key).toBe('obj');
    expect(up.receiptOf).toBeUndefined();
  });
});
