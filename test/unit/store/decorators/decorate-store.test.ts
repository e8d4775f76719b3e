import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { decorateStore } from '../../../../src/store/decorators/decorate-store.js';
import { MeteredStore } from '../../../../src/store/decorators/metered-store.js';
import { StoreRequestMetrics } from '../../../../src/store/decorators/store-request-metrics.js';
import { MemoryStore } from '../../../helpers/memory-store.js';
import { log, flaky, fast } from './fixtures.js';

describe('decorateStore', () => {
  it('meters every attempt as a request of its own, innermost', async () => {
    const store = new MemoryStore();
    let n = 0;
    store.head = async () => {
      if (n++ < 2) throw flaky();
      return undefined;
    };
    const registry = new Registry();
    const metrics = new StoreRequestMetrics(registry);
    const s = decorateStore(store, { log, metrics, retry: fast });
    expect(await s.head('k')).toBeUndefined();
    await s.get('missing').catch(() => undefined);
    const text = await registry.metrics();
    expect(text).toMatch(/snapstream_store_requests_total\{call="head",outcome="retryable"\} 2/);
    expect(text).toMatch(/snapstream_store_requests_total\{call="head",outcome="ok"\} 1/);
    expect(text).toMatch(/snapstream_store_requests_total\{call="get",outcome="not_found"\} 1/);
    expect(new MeteredStore(store, metrics).describe()).toBe('memory://');
  });
});
