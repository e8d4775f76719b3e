import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import type { NodeInventory } from '../../../src/cluster/cluster.js';
import { backupCandidates, failoverHelps, locateReplicas } from '../../../src/cluster/locate-replicas.js';
import { scheduleVolumes } from '../../../src/cluster/schedule-volumes.js';

const inv = (node: string, pool: string, health: string, datasets: [string, [string, string][]][]): NodeInventory => ({
  node,
  address: `${node}:9443`,
  pools: [{ name: pool, health }],
  datasets: datasets.map(([name, snaps]) => ({ name, pool: name.split('/')[0]!, type: 'filesystem', snapshots: snaps.map(([n, g]) => ({ name: n, guid: g })) })),
  truncated: false,
});

describe('volume location and replica choice', () => {
  const cluster = [
    inv('node-b', 'cstor-b', 'ONLINE', [['cstor-b/pvc-1', [['s1', '11']]], ['cstor-b/other/pvc-1', []]]),
    inv('node-a', 'cstor-a', 'DEGRADED', [['cstor-a/pvc-1', [['s1', '11']]]]),
    inv('node-c', 'cstor-c', 'ONLINE', [['cstor-c/pvc-1', [['s1', '99']]], ['zfspv/pvc-2', []]]),
  ];

  it('cStor: every <pool>/<pv> on any node, healthiest first then by node', () => {
    expect(locateReplicas(cluster, { volume: 'pvc-1' }).map((r) => `${r.node}:${r.dataset}:${r.poolHealth}`)).toEqual([
      'node-b:cstor-b/pvc-1:ONLINE',
      'node-c:cstor-c/pvc-1:ONLINE',
      'node-a:cstor-a/pvc-1:DEGRADED',
    ]);
  });

  it('LocalPV: <poolName>/<pv>, on the owner node; on two nodes it is ambiguous', () => {
    expect(locateReplicas(cluster, { volume: 'pvc-2', kind: 'localpv', poolName: 'zfspv' }).map((r) => r.node)).toEqual(['node-c']);
    expect(locateReplicas(cluster, { volume: 'pvc-2', kind: 'localpv', poolName: 'zfspv', ownerNode: 'node-a' })).toEqual([]);
    const twice = [...cluster, inv('node-d', 'zfspv', 'ONLINE', [['zfspv/pvc-2', []]])];
    expect(() => locateReplicas(twice, { volume: 'pvc-2', kind: 'localpv', poolName: 'zfspv' })).toThrow(/several nodes.*ownerNode/);
    expect(() => locateReplicas(cluster, { volume: 'pvc-2', kind: 'localpv' })).toThrow(/poolName is required/);
    expect(() => locateReplicas(cluster, { volume: '../x' })).toThrow(/not a valid PV name/);
  });

  it('an explicit dataset override finds exactly that dataset', () => {
    expect(locateReplicas(cluster, { volume: 'pvc-1', dataset: 'cstor-b/other/pvc-1' }).map((r) => r.dataset)).toEqual(['cstor-b/other/pvc-1']);
  });

  it('candidates: ONLINE pool, base present with the expected guid; holders of the snapshot first', () => {
    const replicas = locateReplicas(cluster, { volume: 'pvc-1' });
    const inc = backupCandidates(replicas, { snapName: 's2', prevSnapName: 's1', prevSnapGuid: '11', disableIncrementalBackups: false });
    expect(inc.candidates.map((r) => r.node)).toEqual(['node-b']);
    expect(inc.skipped.map((s) => [s.node, s.code])).toEqual([
      ['node-c', ErrorCode.BASE_MISSING],
      ['node-a', ErrorCode.UNAVAILABLE],
    ]);
    const full = backupCandidates(replicas, { snapName: 's1', prevSnapName: 's0', disableIncrementalBackups: true });
    expect(full.candidates.map((r) => r.node)).toEqual(['node-b', 'node-c']);
    replicas[1]!.snapshots.push({ name: 'new', guid: '5' });
    expect(backupCandidates(replicas, { snapName: 'new', prevSnapName: '', disableIncrementalBackups: false }).candidates.map((r) => r.node)).toEqual(['node-c', 'node-b']);
  });

  it('failover only for node-specific failures', () => {
    for (const c of ['UNAVAILABLE', 'ZFS_FAILED', 'STORE_FAILED', 'STALLED', 'BASE_MISSING', 'NOT_FOUND', 'RESOURCE_EXHAUSTED']) expect(failoverHelps(c)).toBe(true);
    for (const c of ['INVALID_ARGUMENT', 'INVALID_LOCATION', 'ALREADY_EXISTS', 'PART_LIMIT', 'ABORTED', 'PERMISSION_DENIED']) expect(failoverHelps(c)).toBe(false);
  });

  it('schedule volumes: patterns over <pool>/<pv> names, explicit overrides win', () => {
    const v = scheduleVolumes(cluster, ['pvc-*'], [{ volume: 'pvc-9', dataset: 'x/y' }]);
    expect(v).toEqual([{ volume: 'pvc-1' }, { volume: 'pvc-2' }, { volume: 'pvc-9', dataset: 'x/y' }]);
    expect(scheduleVolumes(cluster, ['pvc-?'], [{ volume: 'pvc-1', dataset: 'cstor-b/other/pvc-1' }])).toEqual([{ volume: 'pvc-1', dataset: 'cstor-b/other/pvc-1' }, { volume: 'pvc-2' }]);
    expect(scheduleVolumes(cluster, ['pvc.1'], [])).toEqual([]);
  });
});
