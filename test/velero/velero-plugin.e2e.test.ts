import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterImpl, openCluster } from '../../src/cluster/open-cluster.js';
import { openStore } from '../../src/location/open-store.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { listBackups } from '../../src/transfer/catalog.js';
import type { Manifest } from '../../src/model/manifest.js';
import { REPO } from '../agent/helpers/agent-process.js';
import { fileHash, writeRandomFile, zfs } from '../agent/helpers/test-bed.js';
import { startFakeDns } from '../cluster/helpers/fake-dns.js';
import { startFakeKubeApi } from '../cluster/helpers/fake-kube-api.js';
import { type TestHost, type TestHosts, canMakeNamespaces, makeTestHosts } from '../cluster/helpers/netns-hosts.js';
import { createBucket, emptyAndDeleteBucket, getTestEnv, needs, uniqueName } from '../helpers/test-env.js';
import { type Harness, buildHarness, haveGo, pidsMatching, startHarness } from './helpers/velero-harness.js';

/**
 * The Velero plugin driven by Velero's own host code (test/go/velero-harness: the plugin registry
 * over a plugin directory and the plugin manager, as `velero server` runs them), against a
 * three-host test cluster: three real agents, each in its own network namespace with its own
 * zfs-fuse pool (test/cluster's netns hosts), mTLS, and radosgw reached through the hosts'
 * forwarder. The VolumeSnapshotLocation is the seed's with its provider swapped
 * (openebs.io/cstor-blockstore answered by snapstream). The plugin finds the agents through the
 * Kubernetes API (a fake API server: the DaemonSet's pods) or a static list, resolves volumes
 * through their Inventory, and asks the same API for the restored volume's target Service IP.
 *
 * SNAPSTREAM_TEST_VELERO_PLUGIN=dist/velero-plugin runs the packaged single executable and its
 * libraries (node scripts/build-velero-plugin.mjs makes them) instead of bin/snapstream-velero-plugin.js.
 */
const env = getTestEnv();
// radosgw by default; SNAPSTREAM_TEST_VELERO_S3=swift runs it against Swift's S3 API instead.
const S3: 's3' | 'swift' = process.env.SNAPSTREAM_TEST_VELERO_S3 === 'swift' ? 'swift' : 's3';
const namespaces = canMakeNamespaces();
if (!namespaces && process.env.SNAPSTREAM_REQUIRE_INTEGRATION === '1') throw new Error('network namespaces are required (root and iproute2: ip netns add)');
const run = needs('zfs', S3) && haveGo() && namespaces;
if (needs('zfs', S3) && !haveGo()) console.warn('velero-plugin e2e skipped: no Go toolchain (set SNAPSTREAM_TEST_GO or install Go at /usr/local/go)');
const log = pino({ level: 'silent' });

let t: TestHosts;
let tmp: string;
let bucket: string;
let harness: Harness;
let store: ObjectStore;
let awsEnv: NodeJS.ProcessEnv;
let kube: Awaited<ReturnType<typeof startFakeKubeApi>>;
let dns: Awaited<ReturnType<typeof startFakeDns>>;
const AGENTS_DNS = 'snapstream-agent.openebs.svc.cluster.local';
/** SNAPSTREAM_TEST_VELERO_LONG=1 adds the cut-off failover (about 25 s more). */
const LONG = process.env.SNAPSTREAM_TEST_VELERO_LONG === '1';
/** The test's own view of the agents (to watch jobs), not the plugin's. */
let observer: ClusterImpl;
let harnessBuildMs = 0;
const kubeToken = `kube-token-${randomUUID()}`;
const vol = { cstor: `pvc-${randomUUID()}`, zfs: `pvc-${randomUUID()}` };
/** The restored cStor volume's target Service (the fake API answers for any restored name). */
const TARGET_IP = '10.96.0.77';
const serviceLookups: string[] = [];
/** The cStor backup's snapshot ID (the foreign-location test reuses it). */
let cstorId = '';

/** `zfs send SRC | zfs recv DST` with two processes and a pipe between them (no shell). */
async function sendRecv(src: string, dst: string): Promise<void> {
  const send = spawn('zfs', ['send', src], { stdio: ['ignore', 'pipe', 'pipe'] });
  const recv = spawn('zfs', ['recv', dst], { stdio: ['pipe', 'ignore', 'pipe'] });
  send.stdout.pipe(recv.stdin);
  const codes = await Promise.all([send, recv].map((x) => new Promise<number | null>((r) => x.once('close', r))));
  if (codes.some((c) => c !== 0)) throw new Error(`zfs send ${src} | zfs recv ${dst} failed: ${codes.join(',')}`);
}

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
    s3Url: t.storeUrl,
    s3ForcePathStyle: 'true',
    restoreAllIncrementalSnapshots: 'false',
    autoSetTargetIP: 'true',
    disableIncrementalBackups: 'true',
    agentDiscovery: 'kubernetes:openebs/app=snapstream-agent:9543',
    kubeconfig: kube.kubeconfig,
    tlsCaFile: t.pki.caFile,
    tlsCertFile: t.pki.clientCert,
    tlsKeyFile: t.pki.clientKey,
    tlsServerName: t.pki.serverName,
    ...over,
  };
}

async function ok(req: Record<string, unknown>, timeoutMs?: number): Promise<unknown> {
  const r = await harness.call(req, timeoutMs);
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

const agentArgs = () => ['--stall-timeout', '20', '--allow-location', `s3://${bucket}?endpoint=${encodeURIComponent(t.storeUrl)}`];

/** Waits (bounded) until `h`'s agent runs a job that is moving bytes. */
async function waitForRunningJob(h: TestHost, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const c = observer.client(h.agent!.address) as unknown as { call: (m: string, r: unknown) => Promise<{ jobs: { phase: string }[] }> };
  while (Date.now() < end) {
    const r = await c.call('ListJobs', { phases: [] });
    if (r.jobs.some((j) => j.phase === 'PHASE_IN_PROGRESS')) {
      // Well inside the paced transfer (8 MiB at 1 MiB/s in 5 MiB parts).
      await new Promise((res) => setTimeout(res, 1500));
      return;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no running job on ${h.node} within ${timeoutMs} ms`);
}

beforeAll(async () => {
  if (!run) return;
  tmp = mkdtempSync(path.join(tmpdir(), 'snapstream-velero-'));
  const h = buildHarness();
  harnessBuildMs = h.ms;
  const ep = env[S3]!;
  awsEnv = { AWS_ACCESS_KEY_ID: ep.accessKeyId, AWS_SECRET_ACCESS_KEY: ep.secretAccessKey, AWS_REGION: ep.region };
  Object.assign(process.env, awsEnv);
  t = await makeTestHosts(3, { storePort: Number(new URL(ep.endpoint).port) });
  bucket = uniqueName('velero');
  await createBucket(ep, bucket);
  store = await openStore(
    { store: { provider: 'aws', bucket, region: ep.region, endpoint: ep.endpoint, forcePathStyle: true, insecureSkipTLSVerify: false, checksums: 'WHEN_REQUIRED' }, layout: { backupPathPrefix: '', prefix: '' } },
    { log },
  );
  await Promise.all(t.hosts.map((x) => t.startAgent(x, agentArgs(), awsEnv)));
  const [h1, h2, h3] = t.hosts as [TestHost, TestHost, TestHost];
  // cStor-like: the volume on every node's pool, the same data (send/recv keeps the seed's guid).
  zfs('create', `${h1.pool}/${vol.cstor}`);
  writeRandomFile(`${h1.pool}/${vol.cstor}`, 'data.bin', 8);
  zfs('snapshot', `${h1.pool}/${vol.cstor}@seed`);
  for (const x of [h2, h3]) await sendRecv(`${h1.pool}/${vol.cstor}@seed`, `${x.pool}/${vol.cstor}`);
  // ZFS-LocalPV: only on node-c.
  zfs('create', `${h3.pool}/${vol.zfs}`);
  kube = await startFakeKubeApi({
    namespace: 'openebs',
    labelSelector: 'app=snapstream-agent',
    token: kubeToken,
    dir: tmp,
    tls: { caFile: t.pki.caFile, certFile: t.pki.kubeCert, keyFile: t.pki.kubeKey },
    pods: t.hosts.map((x, i) => ({ name: `snapstream-agent-${i}`, nodeName: x.node, podIP: x.hostIp, phase: 'Running' })),
    services: (sel) => {
      serviceLookups.push(sel);
      const pv = sel.startsWith('openebs.io/persistent-volume=') ? sel.slice('openebs.io/persistent-volume='.length) : '';
      // cStor names a volume's target Service after the PV; the restored volume's exists once it does.
      return pv.startsWith(`${vol.cstor}-`)
        ? [{ name: pv, clusterIP: TARGET_IP, labels: { 'openebs.io/persistent-volume': pv, 'openebs.io/target-service': 'cstor-target-svc' } }]
        : [];
    },
  });
  dns = await startFakeDns(AGENTS_DNS, t.hosts.map((x) => x.hostIp));
  observer = openCluster({
    discovery: { kind: 'static', agents: t.hosts.map((x) => x.agent!.address) },
    tls: { caFile: t.pki.caFile, certFile: t.pki.clientCert, keyFile: t.pki.clientKey, serverName: t.pki.serverName },
    log,
  });
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
  await observer?.close();
  await kube?.close();
  await dns?.close();
  await store?.close();
  await t?.destroy();
  if (bucket) await emptyAndDeleteBucket(env[S3]!, bucket).catch(() => undefined);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 120_000);

describe.skipIf(!run)('Velero plugin through Velero plugin manager (clientmgmt), three-host test cluster', () => {
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
    const noAgents = await harness.call({ op: 'init', plugin: 'openebs.io/cstor-blockstore', config: vslConfig({ agentDiscovery: '' }) });
    expect(noAgents.error).toMatch(/no agents: set "agents"/);
  });

  it('cStor, the seed VSL, agents from the Kubernetes API: node-a killed mid-backup, node-b sends it; restore into every replica with the target IP from the target Service', async () => {
    const p = 'openebs.io/cstor-blockstore';
    const [h1, h2] = t.hosts as [TestHost, TestHost];
    // Paced (1 MiB/s in 5 MiB parts), so the 8 MiB stream takes seconds: time to kill its node.
    await ok({ op: 'init', plugin: p, config: vslConfig({ rateLimit: '1Mi', multiPartChunkSize: '5Mi' }) });
    expect(await ok({ op: 'getVolumeInfo', plugin: p, volumeID: vol.cstor, volumeAZ: '' })).toMatchObject({ volumeType: 'zfs' });
    const seedSha = fileHash(`${h1.pool}/${vol.cstor}`, 'data.bin');
    const b1 = 'nightly-20261201010000';
    const pending = ok({ op: 'createSnapshot', plugin: p, volumeID: vol.cstor, volumeAZ: '', tags: { 'velero.io/backup': b1, 'velero.io/pv': vol.cstor } });
    const settled = pending.then(() => undefined, (e: unknown) => e);
    // node-a is the first healthy replica (ONLINE pools, then node name).
    await waitForRunningJob(h1);
    h1.agent!.proc.kill('SIGKILL');
    await h1.agent!.exited;
    const err = await settled;
    if (err) throw err;
    const id1 = (await pending) as string;
    expect(id1).toMatch(new RegExp(`^ss1:[0-9a-f]{12}:${vol.cstor}@${b1}$`));
    cstorId = id1;
    const ms = await manifests(vol.cstor);
    expect(ms.map((m) => [m.backup, m.schedule, m.previousSnapshot, m.node, m.dataset])).toEqual([[b1, 'nightly', '', 'node-b', `${h2.pool}/${vol.cstor}`]]);
    // Full mode keeps no base snapshot on the replica that sent it (the seed's leak, fixed).
    expect(snapshotsOf(`${h2.pool}/${vol.cstor}`)).toEqual(['seed']);
    // Discovery went through the API with the service account's token.
    expect(kube.requests.some((r) => r.url.startsWith('/api/v1/namespaces/openebs/pods'))).toBe(true);
    expect(kube.requests.every((r) => r.auth === `Bearer ${kubeToken}`)).toBe(true);

    // node-a comes back (its pod restarts); the restore goes into all three replicas' pools.
    await t.startAgent(h1, agentArgs(), awsEnv);
    const restored = (await ok({ op: 'createVolumeFromSnapshot', plugin: p, snapshotID: id1, volumeType: 'zfs', volumeAZ: '', iops: 0 })) as string;
    expect(restored).toMatch(new RegExp(`^${vol.cstor}-[0-9a-f]{6}$`));
    expect(serviceLookups).toContain(`openebs.io/persistent-volume=${restored}`);
    for (const x of t.hosts) {
      const target = `${x.pool}/${restored}`;
      expect(fileHash(target, 'data.bin'), `content on ${x.node}`).toBe(seedSha);
      expect(zfs('get', '-H', '-o', 'value', 'io.openebs:targetip', target)).toBe(TARGET_IP);
    }
  });

  it.runIf(LONG)('cStor: node-a cut off the network mid-backup (veth down): the liveness probe notices, another replica sends it', async () => {
    const p = 'openebs.io/cstor-blockstore';
    const h1 = t.hosts[0]!;
    await ok({ op: 'init', plugin: p, config: vslConfig({ rateLimit: '1Mi', multiPartChunkSize: '5Mi' }) });
    const b2 = 'nightly-20261201020000';
    const pending = ok({ op: 'createSnapshot', plugin: p, volumeID: vol.cstor, volumeAZ: '', tags: { 'velero.io/backup': b2 } });
    const settled = pending.then(() => undefined, (e: unknown) => e);
    await waitForRunningJob(h1);
    t.setLink(h1, false);
    try {
      const err = await settled;
      if (err) throw err;
    } finally {
      t.setLink(h1, true);
    }
    const ms = (await manifests(vol.cstor)).filter((m) => m.backup === b2);
    expect(ms.length).toBe(1);
    expect(ms[0]!.node).not.toBe('node-a');
  });

  it('ZFS-LocalPV, agents from DNS (the headless Service), incremental schedule: from the owner node, chain restore on it, deletion that never breaks the chain', async () => {
    const p = 'openebs.io/zfspv-blockstore';
    const h3 = t.hosts[2]!;
    const ds = `${h3.pool}/${vol.zfs}`;
    const { agentDiscovery: _d, kubeconfig: _k, ...base } = vslConfig({ disableIncrementalBackups: 'false', restoreAllIncrementalSnapshots: 'true', autoSetTargetIP: 'false' });
    const cfg = { ...base, agentDiscovery: `dns:${AGENTS_DNS}:9543@${dns.server}` };
    await ok({ op: 'init', plugin: p, config: cfg });
    const volumeID = (await ok({ op: 'getVolumeID', plugin: p, pv: zfsPv(vol.zfs) })) as string;
    expect(volumeID).toBe(vol.zfs);
    writeRandomFile(ds, 'a.bin', 2);
    const b1 = 'hourly-20261201010000';
    const b2 = 'hourly-20261201020000';
    const id1 = (await ok({ op: 'createSnapshot', plugin: p, volumeID, volumeAZ: '', tags: { 'velero.io/backup': b1 } })) as string;
    const shaB = writeRandomFile(ds, 'b.bin', 1);
    const id2 = (await ok({ op: 'createSnapshot', plugin: p, volumeID, volumeAZ: '', tags: { 'velero.io/backup': b2 } })) as string;
    const ms = await manifests(vol.zfs);
    expect(ms.map((m) => [m.backup, m.previousSnapshot, m.node])).toEqual([
      [b1, '', 'node-c'],
      [b2, b1, 'node-c'],
    ]);
    // Incremental mode keeps exactly the newest snapshot as the next base.
    expect(snapshotsOf(ds)).toEqual([b2]);

    const restored = (await ok({ op: 'createVolumeFromSnapshot', plugin: p, snapshotID: id2, volumeType: 'zfs', volumeAZ: '' })) as string;
    const target = `${h3.pool}/${restored}`;
    expect(fileHash(target, 'b.bin')).toBe(shaB);
    expect(fileHash(target, 'a.bin')).toBe(fileHash(ds, 'a.bin'));
    // Only the owner node received it.
    for (const x of t.hosts.slice(0, 2)) expect(zfs('list', '-H', '-o', 'name', '-r', x.pool).split('\n')).not.toContain(`${x.pool}/${restored}`);

    // Without restoreAllIncrementalSnapshots, an incremental backup is refused up front, clearly.
    await ok({ op: 'init', plugin: p, config: { ...cfg, restoreAllIncrementalSnapshots: 'false' } });
    const single = await harness.call({ op: 'createVolumeFromSnapshot', plugin: p, snapshotID: id2, volumeType: 'zfs', volumeAZ: '' });
    expect(single.ok).toBe(false);
    expect(single.error).toMatch(/InvalidArgument.*incremental.*restoreAllIncrementalSnapshots=true/);

    // Velero deletes the older backup first: b2 still needs it, so its deletion is deferred.
    await ok({ op: 'deleteSnapshot', plugin: p, snapshotID: id1 });
    expect((await manifests(vol.zfs)).map((m) => m.backup)).toEqual([b1, b2]);
    // Deleting b2 releases both; the pool's base snapshot goes too (on node-c, found by inventory).
    await ok({ op: 'deleteSnapshot', plugin: p, snapshotID: id2 });
    expect(await manifests(vol.zfs)).toEqual([]);
    expect(snapshotsOf(ds)).toEqual([]);
    const keys: string[] = [];
    for await (const o of store.list('')) keys.push(o.key);
    expect(keys.filter((k) => k.includes(vol.zfs))).toEqual([]);
    // Deleting again is a no-op (Velero retries deletions).
    await ok({ op: 'deleteSnapshot', plugin: p, snapshotID: id2 });
    expect(dns.queries).toContain(`${AGENTS_DNS}/1`);
  });

  it('a static agent list works as well: an ad-hoc backup from one healthy replica, its snapshot gone after; an unknown volume is NOT_FOUND naming the nodes asked', async () => {
    const p = 'snapstream.io/zfs';
    const { agentDiscovery: _d, kubeconfig: _k, ...base } = vslConfig({ autoSetTargetIP: 'false' });
    await ok({ op: 'init', plugin: p, config: { ...base, agents: t.hosts.map((x) => x.agent!.address).join(',') } });
    expect(await ok({ op: 'getVolumeInfo', plugin: p, volumeID: vol.cstor, volumeAZ: '' })).toMatchObject({ volumeType: 'zfs' });
    const adhoc = 'before-upgrade';
    await ok({ op: 'createSnapshot', plugin: p, volumeID: vol.cstor, volumeAZ: '', tags: { 'velero.io/backup': adhoc } });
    const m = (await manifests(vol.cstor)).find((x) => x.backup === adhoc)!;
    expect([m.schedule, m.previousSnapshot]).toEqual(['', '']);
    const sender = t.hosts.find((x) => x.node === m.node)!;
    expect(m.dataset).toBe(`${sender.pool}/${vol.cstor}`);
    for (const x of t.hosts) expect(snapshotsOf(`${x.pool}/${vol.cstor}`)).not.toContain(adhoc);
    const none = await harness.call({ op: 'getVolumeInfo', plugin: p, volumeID: 'pvc-nowhere', volumeAZ: '' });
    expect(none.error).toMatch(/NotFound.*NOT_FOUND: volume pvc-nowhere: no reachable agent holds <pool>\/pvc-nowhere \(asked node-a, node-b, node-c\)/);
  });

  it('refuses snapshot IDs that are malformed or from another location', async () => {
    const p = 'openebs.io/cstor-blockstore';
    await ok({ op: 'init', plugin: p, config: vslConfig({}) });
    const bad = await harness.call({ op: 'createVolumeFromSnapshot', plugin: p, snapshotID: `${vol.cstor}-velero-bkp-nightly`, volumeType: '', volumeAZ: '' });
    expect(bad.error).toMatch(/InvalidArgument.*not a snapstream snapshot ID/);
    const before = (await manifests(vol.cstor)).length;
    await ok({ op: 'init', plugin: p, config: vslConfig({ backupPathPrefix: 'elsewhere' }) });
    const other = await harness.call({ op: 'deleteSnapshot', plugin: p, snapshotID: cstorId });
    expect(other.error).toMatch(/InvalidArgument.*another location/);
    expect((await manifests(vol.cstor)).length).toBe(before);
  });

  it('leaves no plugin process behind once the host is done', async () => {
    await harness.quit();
    const deadline = Date.now() + 10_000;
    while (pidsMatching(path.join(tmp, 'plugins')).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(pidsMatching(path.join(tmp, 'plugins'))).toEqual([]);
    expect(existsSync(tmp)).toBe(true);
  });
});
