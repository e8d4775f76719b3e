import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ErrorCode, SnapstreamError } from '../../../src/errors.js';
import { manifestKeyFor, serializeManifest, type Manifest } from '../../../src/model/manifest.js';
import type { VolumeBackend, VolumeBackupRequest, VolumeRestoreRequest } from '../../../src/velero/volume-backend.js';
import { locationFingerprint } from '../../../src/velero/snapshot-id.js';
import { VolumeSnapshotter } from '../../../src/velero/volume-snapshotter.js';
import type { ServiceInfo, ServiceLister } from '../../../src/velero/target-ip-lookup.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { m } from '../plan/fixtures.js';

/** Where the objects are: the ID's location part for `config`. */
const fp = locationFingerprint({ store: { provider: 'aws', bucket: 'bkt', region: 'x', forcePathStyle: false, insecureSkipTLSVerify: false, checksums: 'WHEN_REQUIRED' }, layout: { backupPathPrefix: '', prefix: '' } });
const config = { provider: 'aws', bucket: 'bkt', region: 'us-east-1', s3Url: 'http://127.0.0.1:1', agents: '127.0.0.1:1', insecurePlaintext: 'true' };

/** A backend that records requests; backups "commit" a manifest into the store like an agent. */
function setup(manifests: Manifest[] = [], services: ServiceInfo[] = []) {
  const store = new MemoryStore();
  const put = (x: Manifest) => {
    store.objects.set(x.dataKey, Buffer.from('data'));
    store.objects.set(manifestKeyFor(x.dataKey), serializeManifest(x));
  };
  manifests.forEach(put);
  const backups: VolumeBackupRequest[] = [];
  const restores: VolumeRestoreRequest[] = [];
  const destroyed: string[] = [];
  let holders = [{ node: 'a', dataset: 'tank/pvc-1', pool: 'tank', snapshots: [] as string[] }];
  const backend: VolumeBackend = {
    locate: async () => {
      if (holders.length === 0) throw new SnapstreamError(ErrorCode.NOT_FOUND, 'volume pvc-1 was not found on any agent');
      return holders;
    },
    backup: async (req) => {
      backups.push(req);
      put(m(req.backup, { schedule: req.schedule, finishedAt: new Date().toISOString(), ...(req.fullBecause || req.disableIncrementalBackups || req.schedule === '' ? {} : { prev: req.manifests.at(-1)?.backup ?? '' }) }));
      return { node: 'a', dataset: 'tank/pvc-1', type: 'full', bytes: 4 };
    },
    restore: async (req) => {
      restores.push(req);
      return { replicas: req.targets.map((t) => ({ node: t.node, dataset: `${t.pool}/${req.targetVolume}`, snapshot: req.backup, restoredBackups: [req.backup] })) };
    },
    poolsOn: async (pools) => pools.flatMap((pool) => [{ node: 'a', pool }, { node: 'b', pool }]),
    deleteSnapshot: async (_v, snap) => {
      destroyed.push(snap);
      return [snap];
    },
    close: async () => undefined,
  };
  const lookups: { namespace: string; labelSelector: string }[] = [];
  const listServices: ServiceLister = async (q) => {
    lookups.push({ namespace: q.namespace, labelSelector: q.labelSelector });
    return services;
  };
  const vs = new VolumeSnapshotter('snapstream.io/zfs', { log: pino({ level: 'silent' }), env: {}, openBackend: () => backend, openStore: async () => store, listServices });
  return { vs, store, backups, restores, destroyed, lookups, setHolders: (h: typeof holders) => (holders = h) };
}

describe('VolumeSnapshotter (fake backend, in-memory bucket)', () => {
  it('needs Init, and the velero.io/backup tag', async () => {
    const { vs } = setup();
    await expect(vs.createSnapshot('pvc-1', '', {})).rejects.toThrow(/Init was not called/);
    await vs.init(config);
    await expect(vs.createSnapshot('pvc-1', '', {})).rejects.toThrow(/needs the tag velero.io\/backup/);
    await expect(vs.createSnapshot('pvc-1', '', { 'velero.io/backup': 'bad name!' })).rejects.toThrow(/velero.io\/backup/);
  });

  it('scheduled names carry their schedule; ad-hoc names none', async () => {
    const { vs, backups } = setup();
    await vs.init(config);
    await vs.createSnapshot('pvc-1', '', { 'velero.io/backup': 'nightly-20261201010000' });
    await vs.createSnapshot('pvc-1', '', { 'velero.io/backup': 'before-upgrade' });
    expect(backups.map((b) => [b.backup, b.schedule, b.disableIncrementalBackups])).toEqual([
      ['nightly-20261201010000', 'nightly', false],
      ['before-upgrade', '', false],
    ]);
    expect(backups[0]!.location).not.toHaveProperty('agents');
  });

  it('a deferred deletion in the last chain makes the next scheduled backup start a new chain', async () => {
    const b1 = 'h-20261201010000';
    const b2 = 'h-20261201020000';
    const { vs, backups, store } = setup([m(b1, { schedule: 'h', finishedAt: '2026-12-01T01:00:01Z' }), m(b2, { schedule: 'h', prev: b1, finishedAt: '2026-12-01T02:00:01Z' })]);
    await vs.init(config);
    const id1 = `ss1:${fp}:pvc-1@${b1}`;
    await vs.deleteSnapshot(id1);
    expect([...store.objects.keys()].filter((k) => k.includes('deferred-deletes'))).toEqual([`snapstream/deferred-deletes/pvc-1/${b1}`]);
    await vs.createSnapshot('pvc-1', '', { 'velero.io/backup': 'h-20261201030000' });
    expect(backups.at(-1)!.fullBecause).toMatch(/full: the chain of the last backup holds h-20261201010000/);
  });

  it('restores into the holders under a new name, or under the old name into the source pool on the node that sent it when the volume is gone', async () => {
    const b1 = 'adhoc';
    const { vs, restores, setHolders } = setup([m(b1, { dataset: 'tank/pvc-1', node: 'b' })]);
    await vs.init({ ...config, autoSetTargetIP: 'true', targetIP: '10.0.0.9' });
    setHolders([
      { node: 'a', dataset: 'tank/pvc-1', pool: 'tank', snapshots: [] },
      { node: 'c', dataset: 'pool-c/pvc-1', pool: 'pool-c', snapshots: [] },
    ]);
    const v1 = await vs.createVolumeFromSnapshot(`ss1:${fp}:pvc-1@${b1}`, '', '', 0);
    expect(v1).toMatch(/^pvc-1-[0-9a-f]{6}$/);
    // Every replica.
    expect(restores[0]).toMatchObject({ targetIp: '10.0.0.9', targets: [{ node: 'a', pool: 'tank' }, { node: 'c', pool: 'pool-c' }], targetVolume: v1 });
    setHolders([]);
    const v2 = await vs.createVolumeFromSnapshot(`ss1:${fp}:pvc-1@${b1}`, '', '', 0);
    expect(v2).toBe('pvc-1');
    // The owner: node b sent the backup (its manifest says so) and still has the pool.
    expect(restores[1]!.targets).toEqual([{ node: 'b', pool: 'tank' }]);
  });

  it('autoSetTargetIP without targetIP asks Kubernetes for the restored volume\'s target Service; none is refused before anything is received', async () => {
    const { vs, restores, lookups } = setup([m('adhoc')]);
    await vs.init({ ...config, autoSetTargetIP: 'true' });
    await expect(vs.createVolumeFromSnapshot(`ss1:${fp}:pvc-1@adhoc`, '', '', 0)).rejects.toThrow(
      /autoSetTargetIP: no Service with a cluster IP labelled openebs.io\/persistent-volume=pvc-1-[0-9a-f]{6} in namespace openebs.*set targetIP/,
    );
    expect(restores).toEqual([]);
    expect(lookups[0]!.labelSelector).toMatch(/^openebs.io\/persistent-volume=pvc-1-[0-9a-f]{6}$/);
  });
});
