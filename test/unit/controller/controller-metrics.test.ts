import { describe, expect, it } from 'vitest';
import { ControllerMetrics } from '../../../src/controller/controller-metrics.js';

describe('controller cluster metrics', () => {
  it('per-node in-flight transfers at scrape time (0 once idle), failovers by node and code', async () => {
    const m = new ControllerMetrics();
    let now = new Map([
      ['node-a', 1],
      ['node-b', 2],
    ]);
    m.watchCluster(() => now);
    const text = await m.registry.metrics();
    expect(text).toContain('snapstream_cluster_node_inflight_transfers{node="node-a"} 1');
    expect(text).toContain('snapstream_cluster_node_inflight_transfers{node="node-b"} 2');
    now = new Map();
    expect(await m.registry.metrics()).toContain('snapstream_cluster_node_inflight_transfers{node="node-b"} 0');
    m.onFailover({ attempt: { node: 'node-a', code: 'UNAVAILABLE' } });
    m.onFailover({ attempt: { node: 'node-a', code: 'UNAVAILABLE' } });
    expect(await m.registry.metrics()).toContain('snapstream_cluster_failovers_total{node="node-a",code="UNAVAILABLE"} 2');
  });
});
