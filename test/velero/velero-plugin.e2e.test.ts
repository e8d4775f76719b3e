import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/location/open-store.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { listBackups } from '../../src/transfer/catalog.js';
import type { Manifest } from '../../src/model/manifest.js';
import { type AgentProcess, REPO, startAgentProcess } from '../agent/helpers/agent-process.js';
import { type TestPki, TEST_CLIENT_FLAGS, makeTestPki } from '../agent/helpers/make-certs.js';
import { fileHash, writeRandomFile, zfs } from '../agent/helpers/test-bed.js';
import { createBucket, createDataset, destroyDataset, emptyAndDeleteBucket, getTestEnv, needs, uniqueName } from '../helpers/test-env.js';
import { type Harness, buildHarness, haveGo, pidsMatching, startHarness } from './helpers/velero-harness.js';

/**
 * The Velero plugin driven by Velero's own host code (test/go/velero-harness: the plugin registry
 * over a plugin directory and the plugin manager, as `velero server` runs them), against two real
 * agents (two "nodes" on loopback, mTLS, each allowed only its own pool), zfs-fuse and radosgw. The VolumeSnapshotLocation is the seed's with its provider
 * swapped (openebs.io/cstor-blockstore answered by snapstream) and the bucket on radosgw.
 *
 * SNAPSTREAM_TEST_VELERO_PLUGIN=dist/velero-plugin runs the packaged single executable and its
 * libraries (node scripts/build-velero-plugin.mjs makes them) instead of bin/snapstream-velero-plugin.js.
 */
const env = getTestEnv();
// radosgw by default; SNAPSTREAM_TEST_VELERO_S3=swift runs it against Swift's S3 API instead.
const S3: 's3' | 'swift' = process.env.SNAPSTREAM_TEST_VELERO_S3 === 'swift' ? 'swift' : 's3';
const run = needs('zfs', S3) && haveGo();
if (needs('zfs', S3) && !haveGo()) console.warn('velero-plugin e2e skipped: no Go toolchain (set SNAPSTREAM_TEST_GO or install Go at /usr/local/go)');
const log = pino({ level: 'silent' });

let pki: TestPki;
let tmp: string;
let root: string;
let bucket: string;
let agent: AgentProcess;
/** A second agent (another "node") with its own pool; the cStor volume lives there only. */
let agentB: AgentProcess;
let poolA: string;
let poolB: string;
let harness: Harness;
let store: ObjectStore;
let awsEnv: NodeJS.ProcessEnv;
let harnessBuildMs = 0;
const created: string[] = [];
const vol = { cstor: `pvc-${randomUUID()}`, zfs: `pvc-${randomUUID()}` };
const ds = { cstor: '', zfs: '' };

const TARGET_IP = '10.96.0.77';

function cstorPv(name: string) {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: {
      name,
      annotations: { 'pv.kubernetes.io/provisioned-by': 'cstor.csi.openebs.io' },
      labels: { 'openebs.io/cas-type': 'cstor' },
      finalizers: ['kubernetes.io/pv-protection'],
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '1Gi' },
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: 'data-mysql-0', namespace: 'shop', uid: randomUUID() },
      csi: {
        driver: 'cstor.csi.openebs.io',
        fsType: 'ext4',
        volumeAttributes: { 'openebs.io/cas-type': 'cstor', 'storage.kubernetes.io/csiProvisionerIdentity': '1700000000000-8081-cstor.csi.openebs.io' },
        volumeHandle: name,
      },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'cstor-csi-disk',
      volumeMode: 'Filesystem',
    },
    status: { phase: 'Bound' },
  };
}

function zfsPv(handle: string) {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: handle, annotations: { 'pv.kubernetes.io/provisioned-by': 'zfs.csi.openebs.io' } },
    spec: {
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '1Gi' },
      csi: {
        driver: 'zfs.csi.openebs.io',
        fsType: 'zfs',
        volumeAttributes: { 'openebs.io/cas-type': 'localpv-zfs', 'openebs.io/poolname': 'zfspv-pool', 'storage.kubernetes.io/csiProvisionerIdentity': '1700000000000-8081-zfs.csi.openebs.io' },
        volumeHandle: handle,
      },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'openebs.io/nodeid', operator: 'In', values: ['node-1'] }] }] } },
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'openebs-zfspv',
      volumeMode: 'Filesystem',
    },
  };
}

/** The seed's VolumeSnapshotLocation config, bucket on radosgw, plus how the plugin reaches agents. */
function vslConfig(over: Record<string, string>): Record<string, string> {
  const ep = env[S3]!;
  return {
    bucket,
    provider: 'aws',
    region: ep.region,
    s3Url: ep.endpoint,
    s3ForcePathStyle: 'true',
    restoreAllIncrementalSnapshots: 'false',
    autoSetTargetIP: 'true',
    disableIncrementalBackups: 'true',
    agents: `127.0.0.1:${agent.grpcPort},127.0.0.1:${agentB.grpcPort}`,
    agentPools: `${poolA},${poolB}`,
    tlsCaFile: pki.caFile,
    tlsCertFile: pki.clientCert,
    tlsKeyFile: pki.clientKey,
    tlsServerName: 'localhost',
    targetIP: TARGET_IP,
    ...over,
  };
}

async function ok(req: Record<string, unknown>): Promise<unknown> {
  const r = await harness.call(req);
  if (!r.ok) throw new Error(`${String(req.op)} failed: ${r.error}`);
  return r.result;
}

async function manifests(volume: string): Promise<Manifest[]> {
  return (await listBackups(store, { backupPathPrefix: '', prefix: '' }, { volume })).backups;
}

function snapshotsOf(dataset: string): string[] {
  return zfs('list', '-H', '-t', 'snapshot', '-o', 'name', '-d', '1', dataset)
    .split('\n')
    .filter(Boolean)
    .map((l) => l.slice(dataset.length + 1));
}

beforeAll(async () => {
  if (!run) return;
  tmp = mkdtempSync(path.join(tmpdir(), 'snapstream-velero-'));
  const h = buildHarness();
  harnessBuildMs = h.ms;
  const ep = env[S3]!;
  awsEnv = { AWS_ACCESS_KEY_ID: ep.accessKeyId, AWS_SECRET_ACCESS_KEY: ep.secretAccessKey, AWS_REGION: ep.region };
  Object.assign(process.env, awsEnv);
  pki = makeTestPki();
  root = await createDataset(env.zfsPool!, uniqueName('velero'));
  poolA = await createDataset(root, 'node-a');
  poolB = await createDataset(root, 'node-b');
  ds.cstor = await createDataset(poolB, vol.cstor);
  ds.zfs = await createDataset(poolA, vol.zfs);
  bucket = uniqueName('velero');
  await createBucket(ep, bucket);
  store = await openStore(
    { store: { provider: 'aws', bucket, region: ep.region, endpoint: ep.endpoint, forcePathStyle: true, insecureSkipTLSVerify: false, checksums: 'WHEN_REQUIRED' }, layout: { backupPathPrefix: '', prefix: '' } },
    { log },
  );
  const startNodeAgent = (node: string, pool: string) =>
    startAgentProcess(
      [
        '--listen', '127.0.0.1:0',
        '--metrics-listen', '127.0.0.1:0',
        '--tls-ca', pki.caFile,
        '--tls-cert', pki.serverCert,
        '--tls-key', pki.serverKey,
        '--allowed-pool', pool,
        ...TEST_CLIENT_FLAGS,
        '--allow-location', `s3://${bucket}?endpoint=${encodeURIComponent(ep.endpoint)}`,
        '--node-name', node,
      ],
      awsEnv,
    );
  agent = await startNodeAgent('node-a', poolA);
  agentB = await startNodeAgent('node-b', poolB);
  const plugins = path.join(tmp, 'plugins');
  mkdirSync(plugins);
  const packaged = process.env.SNAPSTREAM_TEST_VELERO_PLUGIN;
  const extraEnv: NodeJS.ProcessEnv = {};
  if (packaged !== undefined) {
    // The build output copied as `velero plugin add` copies it: executable + libraries (not
    // executable, so discovery skips them) found through LD_LIBRARY_PATH=/plugins.
    for (const f of readdirSync(packaged)) copyFileSync(path.join(packaged, f), path.join(plugins, f));
    for (const f of readdirSync(packaged)) chmodSync(path.join(plugins, f), statSync(path.join(packaged, f)).mode & 0o777);
    extraEnv.LD_LIBRARY_PATH = plugins;
  } else {
    // Velero walks the directory and runs every executable; a symlink counts, as in /plugins.
    symlinkSync(path.join(REPO, 'bin/snapstream-velero-plugin.js'), path.join(plugins, 'snapstream-velero-plugin'));
  }
  harness = startHarness(h.binary, plugins, { ...awsEnv, ...extraEnv, SNAPSTREAM_VELERO_PLUGIN_NAMES: 'snapstream.io/zfs,openebs' });
}, 25 * 60_000);

afterAll(async () => {
  if (!run) return;
  await harness?.quit();
  await agent?.stop();
  await agentB?.stop();
  await store?.close();
  for (const d of [...created.reverse(), ds.cstor, ds.zfs, poolA, poolB, root]) if (d) await destroyDataset(d).catch(() => undefined);
  if (bucket) await emptyAndDeleteBucket(env[S3]!, bucket).catch(() => undefined);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
}, 120_000);

describe.skipIf(!run)('Velero plugin through Velero plugin manager (clientmgmt)', () => {
  it('is discovered in the plugin directory under all three names', async () => {
    const list = (await ok({ op: 'listPlugins' })) as { name: string; kind: string }[];
    expect(list.map((p) => p.name).sort()).toEqual(['openebs.io/cstor-blockstore', 'openebs.io/zfspv-blockstore', 'snapstream.io/zfs']);
    expect(new Set(list.map((p) => p.kind))).toEqual(new Set(['VolumeSnapshotter']));
    console.info(`velero-harness build: ${harnessBuildMs} ms`);
  });

  it('GetVolumeID / SetVolumeID understand cStor and ZFS-LocalPV PVs and nothing else', async () => {
    const p = 'snapstream.io/zfs';
    expect(await ok({ op: 'getVolumeID', plugin: p, pv: cstorPv(vol.cstor) })).toBe(vol.cstor);
    const legacy = cstorPv('pvc-legacy');
    delete (legacy.spec as Record<string, unknown>).csi;
    (legacy.spec as Record<string, unknown>).iscsi = { iqn: 'iqn.2016-09.com.openebs.cstor:pvc-legacy', targetPortal: '10.0.0.1:3260', lun: 0 };
    expect(await ok({ op: 'getVolumeID', plugin: p, pv: legacy })).toBe('pvc-legacy');
    const handle = `${vol.zfs}`;
    const z = zfsPv(handle);
    z.metadata.name = 'pv-named-otherwise';
    expect(await ok({ op: 'getVolumeID', plugin: p, pv: z })).toBe(handle);
    const nfs = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-nfs' }, spec: { nfs: { server: 'nfs.local', path: '/x' } } };
    expect(await ok({ op: 'getVolumeID', plugin: p, pv: nfs })).toBe('');
    const ebs = { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-ebs' }, spec: { csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-1' } } };
    expect(await ok({ op: 'getVolumeID', plugin: p, pv: ebs })).toBe('');

    const setC = (await ok({ op: 'setVolumeID', plugin: p, pv: cstorPv(vol.cstor), volumeID: 'pvc-new' })) as ReturnType<typeof cstorPv>;
    expect(setC.metadata.name).toBe('pvc-new');
    expect(setC.spec.csi.volumeHandle).toBe('pvc-new');
    expect(setC.spec.claimRef.name).toBe('data-mysql-0');
    const setZ = (await ok({ op: 'setVolumeID', plugin: p, pv: zfsPv(handle), volumeID: 'pvc-z2' })) as ReturnType<typeof zfsPv>;
    expect(setZ.spec.csi.volumeHandle).toBe('pvc-z2');
    expect(setZ.spec.nodeAffinity.required.nodeSelectorTerms[0]!.matchExpressions[0]!.values).toEqual(['node-1']);
    const bad = await harness.call({ op: 'setVolumeID', plugin: p, pv: nfs, volumeID: 'x' });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/InvalidArgument.*neither cStor/);
  });

  it('Init is strict: unknown keys and bad values are errors naming the key', async () => {
    const typo = await harness.call({ op: 'init', plugin: 'openebs.io/cstor-blockstore', config: vslConfig({ disableIncrementalBackup: 'true' }) });
    expect(typo.ok).toBe(false);
    expect(typo.error).toMatch(/InvalidArgument.*unknown key "disableIncrementalBackup" \(did you mean "disableIncrementalBackups"\?\)/);
    const curly = await harness.call({ op: 'init', plugin: 'openebs.io/cstor-blockstore', config: vslConfig({ disableIncrementalBackups: '\u201ctrue\u201d' }) });
    expect(curly.error).toMatch(/disableIncrementalBackups.*typographic quotes/);
    const chunk = await harness.call({ op: 'init', plugin: 'openebs.io/cstor-blockstore', config: vslConfig({ multiPartChunkSize: '1Mi' }) });
    expect(chunk.error).toMatch(/multiPartChunkSize.*between 5Mi and 5Gi/);
    const noAgents = await harness.call({ op: 'init', plugin: 'openebs.io/cstor-blockstore', config: vslConfig({ agents: '' }) });
    expect(noAgents.error).toMatch(/no agents: set "agents"/);
  });

  let full1 = '';
  let full1Sha = '';
  it('cStor, the seed VSL (disableIncrementalBackups): two full scheduled backups, single restore with autoSetTargetIP', async () => {
    const p = 'openebs.io/cstor-blockstore';
    await ok({ op: 'init', plugin: p, config: vslConfig({}) });
    expect(await ok({ op: 'getVolumeInfo', plugin: p, volumeID: vol.cstor, volumeAZ: '' })).toMatchObject({ volumeType: 'zfs' });
    full1Sha = writeRandomFile(ds.cstor, 'data.bin', 2);
    const b1 = 'nightly-20261201010000';
    full1 = (await ok({ op: 'createSnapshot', plugin: p, volumeID: vol.cstor, volumeAZ: '', tags: { 'velero.io/backup': b1, 'velero.io/pv': vol.cstor } })) as string;
    expect(full1).toMatch(new RegExp(`^ss1:[0-9a-f]{12}:${vol.cstor}@${b1}$`));
    writeRandomFile(ds.cstor, 'data.bin', 2);
    const b2 = 'nightly-20261201020000';
    await ok({ op: 'createSnapshot', plugin: p, volumeID: vol.cstor, volumeAZ: '', tags: { 'velero.io/backup': b2, 'velero.io/pv': vol.cstor } });
    const ms = await manifests(vol.cstor);
    expect(ms.map((m) => [m.backup, m.schedule, m.previousSnapshot])).toEqual([
      [b1, 'nightly', ''],
      [b2, 'nightly', ''],
    ]);
    // Full mode keeps no base snapshot on the pool (the seed's leak, fixed).
    expect(snapshotsOf(ds.cstor)).toEqual([]);

    const restored = (await ok({ op: 'createVolumeFromSnapshot', plugin: p, snapshotID: full1, volumeType: 'zfs', volumeAZ: '', iops: 0 })) as string;
    expect(restored).toMatch(new RegExp(`^${vol.cstor}-[0-9a-f]{6}$`));
    // Backed up and restored on node-b, the only agent holding the volume.
    const target = `${poolB}/${restored}`;
    created.push(target);
    expect(fileHash(target, 'data.bin')).toBe(full1Sha);
    const mentions = (a: AgentProcess) => a.output.filter((l) => l.includes(vol.cstor) && /"jobId"|"job"/.test(l)).length;
    expect(mentions(agentB)).toBeGreaterThan(0);
    expect(mentions(agent)).toBe(0);
    expect(zfs('get', '-H', '-o', 'value', 'io.openebs:targetip', target)).toBe(TARGET_IP);
  });

  it('ZFS-LocalPV, incremental schedule: full then incremental, chain restore, deletion that never breaks the chain', async () => {
    const p = 'openebs.io/zfspv-blockstore';
    const cfg = vslConfig({ disableIncrementalBackups: 'false', restoreAllIncrementalSnapshots: 'true', autoSetTargetIP: 'false' });
    await ok({ op: 'init', plugin: p, config: cfg });
    const volumeID = (await ok({ op: 'getVolumeID', plugin: p, pv: zfsPv(vol.zfs) })) as string;
    expect(volumeID).toBe(vol.zfs);
    writeRandomFile(ds.zfs, 'a.bin', 2);
    const b1 = 'hourly-20261201010000';
    const b2 = 'hourly-20261201020000';
    const id1 = (await ok({ op: 'createSnapshot', plugin: p, volumeID, volumeAZ: '', tags: { 'velero.io/backup': b1 } })) as string;
    const shaB = writeRandomFile(ds.zfs, 'b.bin', 1);
    const id2 = (await ok({ op: 'createSnapshot', plugin: p, volumeID, volumeAZ: '', tags: { 'velero.io/backup': b2 } })) as string;
    const ms = await manifests(vol.zfs);
    expect(ms.map((m) => [m.backup, m.previousSnapshot])).toEqual([
      [b1, ''],
      [b2, b1],
    ]);
    // Incremental mode keeps exactly the newest snapshot as the next base.
    expect(snapshotsOf(ds.zfs)).toEqual([b2]);

    const restored = (await ok({ op: 'createVolumeFromSnapshot', plugin: p, snapshotID: id2, volumeType: 'zfs', volumeAZ: '' })) as string;
    const target = `${poolA}/${restored}`;
    created.push(target);
    expect(fileHash(target, 'b.bin')).toBe(shaB);
    expect(fileHash(target, 'a.bin')).toBe(fileHash(ds.zfs, 'a.bin'));

    // Without restoreAllIncrementalSnapshots, an incremental backup is refused up front, clearly.
    await ok({ op: 'init', plugin: p, config: { ...cfg, restoreAllIncrementalSnapshots: 'false' } });
    const single = await harness.call({ op: 'createVolumeFromSnapshot', plugin: p, snapshotID: id2, volumeType: 'zfs', volumeAZ: '' });
    expect(single.ok).toBe(false);
    expect(single.error).toMatch(/InvalidArgument.*incremental.*restoreAllIncrementalSnapshots=true/);

    // Velero deletes the older backup first: b2 still needs it, so its deletion is deferred.
    await ok({ op: 'deleteSnapshot', plugin: p, snapshotID: id1 });
    expect((await manifests(vol.zfs)).map((m) => m.backup)).toEqual([b1, b2]);
    // Deleting b2 releases both; the pool's base snapshot goes too.
    await ok({ op: 'deleteSnapshot', plugin: p, snapshotID: id2 });
    expect(await manifests(vol.zfs)).toEqual([]);
    expect(snapshotsOf(ds.zfs)).toEqual([]);
    const keys: string[] = [];
    for await (const o of store.list('')) keys.push(o.key);
    expect(keys.filter((k) => k.includes(vol.zfs))).toEqual([]);
    // Deleting again is a no-op (Velero retries deletions).
    await ok({ op: 'deleteSnapshot', plugin: p, snapshotID: id2 });
  });

  it('refuses snapshot IDs that are malformed or from another location', async () => {
    const p = 'openebs.io/cstor-blockstore';
    await ok({ op: 'init', plugin: p, config: vslConfig({}) });
    const bad = await harness.call({ op: 'createVolumeFromSnapshot', plugin: p, snapshotID: `${vol.cstor}-velero-bkp-nightly`, volumeType: '', volumeAZ: '' });
    expect(bad.error).toMatch(/InvalidArgument.*not a snapstream snapshot ID/);
    await ok({ op: 'init', plugin: p, config: vslConfig({ backupPathPrefix: 'elsewhere' }) });
    const other = await harness.call({ op: 'deleteSnapshot', plugin: p, snapshotID: full1 });
    expect(other.error).toMatch(/InvalidArgument.*another location/);
    expect((await manifests(vol.cstor)).length).toBe(2);
  });

  it('leaves no plugin process behind once the host is done', async () => {
    await harness.quit();
    const deadline = Date.now() + 10_000;
    while (pidsMatching(path.join(tmp, 'plugins')).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(pidsMatching(path.join(tmp, 'plugins'))).toEqual([]);
    expect(existsSync(tmp)).toBe(true);
    void execFileSync;
  });
});
