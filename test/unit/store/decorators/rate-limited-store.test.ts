import { describe, expect, it } from 'vitest';
import { rateLimited, rateLimitedUpload } from '../../../../src/store/decorators/rate-limited-store.js';
import { RetryingStore } from '../../../../src/store/decorators/retrying-store.js';
import { MemoryStore } from '../../../helpers/memory-store.js';
import { flaky, fast } from './fixtures.js';

describe('rate limiting', () => {
  it('a transfer is never faster than bytes / rate; a retried part is paced once', async () => {
    const store = new MemoryStore();
    let calls = 0;
    store.onPart = () => {
      if (calls++ === 0) throw flaky();
    };
    const rate = 1024 * 1024;
    const up = rateLimitedUpload(await new RetryingStore(store, { policies: fast }).createUpload('obj'), rate);
    const t0 = Date.now();
    for (let n = 1; n <= 4; n++) await up.uploadPart({ number: n, offset: 0, data: Buffer.alloc(64 * 1024) });
    const ms = Date.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(250 - 5);
    expect(ms).toBeLessThan(250 + 200);
    expect(calls).toBe(5);
    expect(rateLimited(store, undefined)).toBe(store);
    expect(rateLimited(store, 0)).toBe(store);
  });
});
