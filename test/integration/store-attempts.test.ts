import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/location/open-store.js';
import { parseLocationUrl } from '../../src/location/parse-location-url.js';
import { DEFAULT_RETRY_POLICIES } from '../../src/store/decorators/retry-policy.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { createBucket, emptyAndDeleteBucket, getTestEnv, uniqueName } from '../helpers/test-env.js';

/**
 * Attempts do not multiply: with the SDK's own retries off, a failing request is sent exactly as
 * often as its retry policy says, counted at a fault proxy in front of real radosgw that refuses
 * every connection (each attempt needs a new one). Before the decorators, one part could get the
 * pipeline's 5 x the SDK's 4 attempts, and a head only the SDK's.
 */
const env = getTestEnv();
const log = pino({ level: 'silent' });
// The production attempt counts, backing off 5 ms instead of 200-500 ms so the test takes a second.
const retry = Object.fromEntries(Object.entries(DEFAULT_RETRY_POLICIES).map(([k, p]) => [k, { ...p, baseDelayMs: 5 }]));

describe.skipIf(!env.s3)('store attempts (radosgw through a fault proxy)', () => {
  let proxy: FaultProxy;
  let store: ObjectStore;
  const bucket = uniqueName('attempts');

  beforeAll(async () => {
    const ep = env.s3!;
    process.env.AWS_ACCESS_KEY_ID = ep.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = ep.secretAccessKey;
    await createBucket(ep, bucket);
    const target = new URL(ep.endpoint);
    proxy = await startFaultProxy({ host: target.hostname, port: Number(target.port) });
    const url = `s3://${bucket}/attempts?endpoint=${encodeURIComponent(proxy.url)}&region=${ep.region}&forcePathStyle=true`;
    store = await openStore(parseLocationUrl(url), { log, retry });
  });

  afterAll(async () => {
    await store?.close();
    await proxy?.close();
    await emptyAndDeleteBucket(env.s3!, bucket).catch(() => undefined);
  });

  /** Runs `call` with every connection refused; returns its error and the connections it tried. */
  async function refused(call: () => Promise<unknown>): Promise<{ err: unknown; tries: number }> {
    // Live keep-alive sockets would carry the request past the refusal: drop them first.
    proxy.set({ refuse: true });
    proxy.resetAll();
    await new Promise((r) => setTimeout(r, 100));
    proxy.resetStats();
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    const tries = proxy.stats.refused;
    proxy.clear();
    return { err, tries };
  }

  it('a part upload (the SDK-less fast path) gets exactly putPart.attempts', async () => {
    const up = await store.createUpload('obj');
    try {
      const part = { number: 1, offset: 0, data: randomBytes(64 * 1024) };
      const retries: number[] = [];
      const { err, tries } = await refused(() => up.uploadPart(part, { onRetry: (_e, n) => retries.push(n) }));
      expect(err).toMatchObject({ code: 'STORE_FAILED', retryable: true });
      expect(tries).toBe(DEFAULT_RETRY_POLICIES.putPart.attempts);
      expect(retries).toEqual([1, 2, 3, 4]);
      // The link is back: the same part goes through, and the upload completes.
      await up.uploadPart(part);
      await up.complete({ partCount: 1 });
      expect((await store.head('obj'))?.size).toBe(64 * 1024);
    } finally {
      await up.abort();
    }
  });

  it('SDK calls (put, head, list, delete) get exactly their policy\'s attempts, not times the SDK\'s', async () => {
    const put = await refused(() => store.put('small', Buffer.from('x')));
    expect(put.err).toMatchObject({ code: 'STORE_FAILED', retryable: true });
    expect(put.tries).toBe(DEFAULT_RETRY_POLICIES.put.attempts);
    const head = await refused(() => store.head('small'));
    expect(head.tries).toBe(DEFAULT_RETRY_POLICIES.head.attempts);
    const list = await refused(async () => {
      for await (const _ of store.list('')) void _;
    });
    expect(list.tries).toBe(DEFAULT_RETRY_POLICIES.list.attempts);
    const del = await refused(() => store.delete('small'));
    expect(del.tries).toBe(DEFAULT_RETRY_POLICIES.delete.attempts);
  });

  it('a ranged read (getInto, SDK-less) gets exactly getRange.attempts', async () => {
    await store.put('read', randomBytes(1000));
    const { err, tries } = await refused(() => store.getInto!('read', { offset: 0, length: 1000 }, Buffer.alloc(1000)));
    expect(err).toMatchObject({ code: 'STORE_FAILED', retryable: true });
    expect(tries).toBe(DEFAULT_RETRY_POLICIES.getRange.attempts);
  });
});
