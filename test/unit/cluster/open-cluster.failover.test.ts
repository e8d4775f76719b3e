import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Replica } from '../../../src/cluster/cluster.js';
import { openCluster } from '../../../src/cluster/open-cluster.js';
import { ErrorCode, SnapstreamError } from '../../../src/errors.js';

const replica = (node: string): Replica => ({ node, address: `127.0.0.${node.endsWith('a') ? 1 : 2}:9443`, dataset: `pool-${node}/pvc-1`, pool: `pool-${node}`, poolHealth: 'ONLINE', snapshots: [] });

describe('withFailover (replicas given, no agents dialled)', () => {
  it('moves to the next replica when one fails in a way another can avoid, reporting each failover; counts the node busy meanwhile', async () => {
    const failovers: { volume: string; node: string; code: string }[] = [];
    const c = openCluster({
      discovery: { kind: 'static', agents: ['127.0.0.1:9443'] },
      tls: 'insecure-loopback',
      log: pino({ level: 'silent' }),
      onFailover: (e) => failovers.push({ volume: e.volume, node: e.attempt.node, code: e.attempt.code }),
    });
    c.locate = async () => [replica('node-a'), replica('node-b')];
    const busy: [string, number][] = [];
    const r = await c.withFailover({ volume: 'pvc-1' }, { snapName: 's1', prevSnapName: '', disableIncrementalBackups: true }, async (rep) => {
      busy.push([rep.node, c.limiter.activeNodes().get(rep.node) ?? 0]);
      if (rep.node === 'node-a') throw new SnapstreamError(ErrorCode.UNAVAILABLE, 'node-a went away', { retryable: true });
      return 'sent';
    });
    expect(r.result).toBe('sent');
    expect(r.replica.node).toBe('node-b');
    expect(failovers).toEqual([{ volume: 'pvc-1', node: 'node-a', code: ErrorCode.UNAVAILABLE }]);
    expect(busy).toEqual([
      ['node-a', 1],
      ['node-b', 1],
    ]);
    expect(c.limiter.activeNodes().size).toBe(0);
    // A failure another replica would meet as well is not a failover.
    await expect(
      c.withFailover({ volume: 'pvc-1' }, { snapName: 's2', prevSnapName: '', disableIncrementalBackups: true }, async () => {
        throw new SnapstreamError(ErrorCode.ALREADY_EXISTS, 'committed already');
      }),
    ).rejects.toMatchObject({ code: ErrorCode.ALREADY_EXISTS });
    expect(failovers.length).toBe(1);
    await c.close();
  });
});
