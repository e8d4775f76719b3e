import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, SnapstreamError } from '../../src/errors.js';
import { type ClusterImpl, openCluster } from '../../src/cluster/open-cluster.js';
import type { DiscoverySpec } from '../../src/cluster/cluster.js';
import { createBucket, emptyAndDeleteBucket, getTestEnv, makeS3Client, needs, run, uniqueName, writeRandomFile } from '../helpers/test-env.js';
import { startFakeDns } from './helpers/fake-dns.js';
import { startFakeKubeApi } from './helpers/fake-kube-api.js';
import { type TestHost, type TestHosts, canMakeNamespaces, makeTestHosts } from './helpers/netns-hosts.js';
import { parseConfig } from '../../src/config/load-config.js';
import { Controller } from '../../src/controller/controller.js';
import { StoreCatalog } from '../../src/controller/backup-catalog.js';
import { GrpcAgentClient } from '../../src/controller/grpc-agent-client.js';
import { openStore } from '../../src/location/open-store.js';

const env = getTestEnv();
// radosgw by default; Swift's S3 API when only it is up (SNAPSTREAM_TEST_ONLY=zfs,swift), e.g. while a
// shared radosgw is full. Both are real S3 servers; the test is the same.
const store = env.s3 ?? env.swift;
const namespaces = canMakeNamespaces();
// CI (SNAPSTREAM_REQUIRE_INTEGRATION=1) must not pass by skipping: no netns support is a failure there.
if (!namespaces && process.env.SNAPSTREAM_REQUIRE_INTEGRATION === '1') throw new Error('network namespaces are required (root and iproute2: ip netns add)');
const ready = needs('zfs') && store !== undefined && namespaces;
/** The upload is paced per part, so parts must be smaller than the stream for the pace to show. */
const SLOW = { rateLimitBytesPerSec: 1024 * 1024, partSizeBytes: 5 * 1024 * 1024 };
const log = pino({ level: process.env.SNAPSTREAM_TEST_LOG ?? 'silent' });

/** `zfs send SRC | zfs recv DST` with two processes and a pipe between them (no shell). */
async function sendRecv(src: string, dst: string): Promise<void> {
  const send = spawn('zfs', ['send', src], { stdio: ['ignore', 'pipe', 'pipe'] });
  const recv = spawn('zfs', ['recv', dst], { stdio: ['pipe', 'ignore', 'pipe'] });
  send.stdout.pipe(recv.stdin);
  const codes = await Promise.all([send, recv].map((p) => new Promise<number | null>((r) => p.once('close', r))));
  if (codes.some((c) => c !== 0)) throw new Error(`zfs send ${src} | zfs recv ${dst} failed: ${codes.join(',')}`);
}

async function fileSha(dataset: string, file: string): Promise<string> {
  const mp = (await run('zfs', ['get', '-H', '-o', 'value', 'mountpoint', dataset])).stdout.trim();
  return createHash('sha256').update(readFileSync(path.join(mp, file))).digest('hex');
}

async function guidOf(name: string): Promise<string> {
  return (await run('zfs', ['get', '-H', '-p', '-o', 'value', 'guid', name])).stdout.trim();
}

async function readManifest(bucket: string, key: string): Promise<Record<string, unknown>> {
  const { GetObjectCommand } = await import('@aws-sdk/client-s3');
  const s3 = makeS3Client(store!);
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key + '.snapstream.json' }));
  return JSON.parse(await r.Body!.transformToString()) as Record<string, unknown>;
}

/** Waits (bounded) until `h`'s agent has a job in IN_PROGRESS, through the cluster's client. */
async function waitForRunningJob(cluster: ClusterImpl, h: TestHost, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  const c = cluster.client(h.agent!.address) as unknown as { call: (m: string, r: unknown) => Promise<{ jobs: { phase: string; progress?: { bytes: number } }[] }> };
  while (Date.now() < end) {
    const r = await c.call('ListJobs', { phases: [] });
    if (process.env.SNAPSTREAM_TEST_LOG) console.log(JSON.stringify(r.jobs.map((j) => [j.phase, j.progress])));
    if (r.jobs.some((j) => j.phase === 'PHASE_IN_PROGRESS')) {
      // Bytes are moving (the first part is being filled/paced): well inside the ~5 s transfer.
      await new Promise((res) => setTimeout(res, 1500));
      return;
    }
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`no running job on ${h.node} within ${timeoutMs} ms`);
}

/** Step timings on stderr with SNAPSTREAM_TEST_LOG set (the hosts' setup cost is part of the budget). */
function step(t0: number, what: string): void {
  if (process.env.SNAPSTREAM_TEST_LOG) process.stderr.write(`[cluster-test] ${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

describe.skipIf(!ready)('cluster: several agents on their own test hosts (netns + veth), real radosgw', () => {
  let t: TestHosts;
  let bucket: string;
  let location: Record<string, string>;
  let cluster: ClusterImpl;
  const pv = uniqueName('pvc');
  const pvLocal = uniqueName('pvc-local');
  let seedSha = '';
  let localSha = '';
  let tmp = '';

  /** Each agent may use exactly the test's bucket through the forwarder (a location grant). */
  const agentArgs = () => ['--stall-timeout', '20', '--allow-location', `s3://${bucket}?endpoint=${encodeURIComponent(t.storeUrl)}`];
  const clusterWith = (discovery: DiscoverySpec) =>
    openCluster(
      {
        discovery,
        tls: { caFile: t.pki.caFile, certFile: t.pki.clientCert, keyFile: t.pki.clientKey, serverName: t.pki.serverName },
        perNodeLimit: 1,
        callTimeoutMs: 10_000,
        inventoryTtlMs: 0,
        log,
      },
      { livenessIntervalMs: 500, livenessTimeoutMs: 1_500 },
    );

  beforeAll(async () => {
    const t0 = Date.now();
    tmp = mkdtempSync(path.join(tmpdir(), 'snapstream-cluster-'));
    const port = Number(new URL(store!.endpoint).port);
    t = await makeTestHosts(3, { storePort: port });
    step(t0, 'namespaces and pools made');
    bucket = uniqueName('cluster');
    await createBucket(store!, bucket);
    step(t0, 'bucket made');
    location = { provider: 'aws', bucket, region: store!.region, s3Url: t.storeUrl, s3ForcePathStyle: 'true' };
    const creds = { AWS_ACCESS_KEY_ID: store!.accessKeyId, AWS_SECRET_ACCESS_KEY: store!.secretAccessKey };
    await Promise.all(t.hosts.map((h) => t.startAgent(h, agentArgs(), creds)));
    step(t0, 'agents started');
    // A cStor-like volume: the same dataset on every node's pool (replicas hold the same data: the
    // seed snapshot is replicated with send/recv, so its guid is the same on each).
    const [h1, h2, h3] = t.hosts as [TestHost, TestHost, TestHost];
    await run('zfs', ['create', `${h1.pool}/${pv}`]);
    const mp = (await run('zfs', ['get', '-H', '-o', 'value', 'mountpoint', `${h1.pool}/${pv}`])).stdout.trim();
    await writeRandomFile(path.join(mp, 'data.bin'), 8 * 1024 * 1024);
    seedSha = await fileSha(`${h1.pool}/${pv}`, 'data.bin');
    await run('zfs', ['snapshot', `${h1.pool}/${pv}@seed`]);
    step(t0, 'seed written');
    await sendRecv(`${h1.pool}/${pv}@seed`, `${h2.pool}/${pv}`);
    await sendRecv(`${h1.pool}/${pv}@seed`, `${h3.pool}/${pv}`);
    // A LocalPV volume: only on node-c.
    await run('zfs', ['create', `${h3.pool}/${pvLocal}`]);
    const mpl = (await run('zfs', ['get', '-H', '-o', 'value', 'mountpoint', `${h3.pool}/${pvLocal}`])).stdout.trim();
    await writeRandomFile(path.join(mpl, 'local.bin'), 1024 * 1024);
    localSha = await fileSha(`${h3.pool}/${pvLocal}`, 'local.bin');
    cluster = clusterWith({ kind: 'static', agents: t.hosts.map((h) => h.agent!.address) });
    step(t0, 'test hosts ready');
  }, 180_000);

  afterAll(async () => {
    await cluster?.close();
    await t?.destroy();
    if (bucket) await emptyAndDeleteBucket(store!, bucket).catch(() => undefined);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 120_000);

  it('inventory: every node, its pool ONLINE, datasets and snapshot guids as zfs reports them', async () => {
    const inv = await cluster.inventory();
    expect(inv.map((n) => n.node).sort()).toEqual(['node-a', 'node-b', 'node-c']);
    for (const h of t.hosts) {
      const n = inv.find((x) => x.node === h.node)!;
      expect(n.address).toBe(h.agent!.address);
      expect(n.pools).toEqual([{ name: h.pool, health: 'ONLINE' }]);
      // Each agent sees only its own pool (allowedPools), as separate nodes would.
      expect(n.datasets.every((d) => d.pool === h.pool)).toBe(true);
      const ds = n.datasets.find((d) => d.name === `${h.pool}/${pv}`)!;
      expect(ds.snapshots).toEqual([{ name: 'seed', guid: await guidOf(`${h.pool}/${pv}@seed`) }]);
    }
    // recv keeps the snapshot guid: the replicas share the seed's guid.
    const guids = new Set(inv.map((n) => n.datasets.find((d) => d.name.endsWith(`/${pv}`))!.snapshots[0]!.guid));
    expect(guids.size).toBe(1);
    expect(inv.find((n) => n.node === 'node-c')!.datasets.some((d) => d.name.endsWith(`/${pvLocal}`))).toBe(true);
    // Paging over the RPC: one dataset a page, every page distinct, the last one says so.
    const c = cluster.client(t.hosts[2]!.agent!.address);
    const names: string[] = [];
    let token = '';
    for (let i = 0; i < 10; i++) {
      const p = await c.inventoryPage({ maxDatasets: 1, pageToken: token });
      expect(p.datasets.length).toBeLessThanOrEqual(1);
      names.push(...p.datasets.map((d) => d.name));
      if (!p.nextPageToken) break;
      token = p.nextPageToken;
    }
    expect(names).toEqual(inv.find((n) => n.node === 'node-c')!.datasets.map((d) => d.name));
    // A page token is validated like any dataset name before use.
    await expect(c.inventoryPage({ pageToken: '-rf' })).rejects.toMatchObject({ code: ErrorCode.INVALID_NAME });
  });

  it('discovery through DNS (a test resolver) and the Kubernetes API (a fake API server) finds the same agents', async () => {
    const dns = await startFakeDns('snapstream-agent.openebs.svc.cluster.local', t.hosts.map((h) => h.hostIp));
    const token = 'kube-token-' + Math.random().toString(36).slice(2);
    const kube = await startFakeKubeApi({
      namespace: 'openebs',
      labelSelector: 'app=snapstream-agent',
      token,
      dir: tmp,
      tls: { caFile: t.pki.caFile, certFile: t.pki.kubeCert, keyFile: t.pki.kubeKey },
      pods: [
        ...t.hosts.map((h, i) => ({ name: `snapstream-agent-${i}`, nodeName: h.node, podIP: h.hostIp, phase: 'Running' })),
        { name: 'snapstream-agent-pending', nodeName: 'node-z', podIP: '', phase: 'Pending' },
      ],
    });
    try {
      const byDns = clusterWith({ kind: 'dns', name: 'snapstream-agent.openebs.svc.cluster.local', port: 9543, servers: [dns.server] });
      const byKube = clusterWith({ kind: 'kubernetes', namespace: 'openebs', labelSelector: 'app=snapstream-agent', port: 9543, kubeconfig: kube.kubeconfig });
      const a = (await byDns.inventory()).map((n) => `${n.node}@${n.address}`).sort();
      const b = (await byKube.inventory()).map((n) => `${n.node}@${n.address}`).sort();
      const expected = t.hosts.map((h) => `${h.node}@${h.agent!.address}`).sort();
      expect(a).toEqual(expected);
      expect(b).toEqual(expected);
      expect(dns.queries).toContain('snapstream-agent.openebs.svc.cluster.local/1');
      expect(kube.requests.some((r) => r.url.startsWith('/api/v1/namespaces/openebs/pods') && r.url.includes('labelSelector=app%3Dsnapstream-agent'))).toBe(true);
      expect(kube.requests.every((r) => r.auth === `Bearer ${token}`)).toBe(true);
      // A token the API refuses: PERMISSION_DENIED naming the missing right, without the token.
      const badConfig = path.join(tmp, 'kubeconfig-bad');
      writeFileSync(badConfig, readFileSync(kube.kubeconfig, 'utf8').replace(token, 'not-the-token'));
      const wrong = clusterWith({ kind: 'kubernetes', namespace: 'openebs', labelSelector: 'app=snapstream-agent', port: 9543, kubeconfig: badConfig });
      const e = (await wrong.inventory().catch((x: unknown) => x)) as SnapstreamError;
      expect(e.code).toBe(ErrorCode.PERMISSION_DENIED);
      expect(e.message).toMatch(/HTTP 401.*list pods/);
      expect(e.message).not.toContain('not-the-token');
      // The DNS name has no records for another name: NOT_FOUND, retryable.
      const none = clusterWith({ kind: 'dns', name: 'nothing.openebs.svc.cluster.local', port: 9543, servers: [dns.server] });
      await expect(none.inventory()).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND, retryable: true });
      await Promise.all([byDns.close(), byKube.close(), wrong.close(), none.close()]);
    } finally {
      await dns.close();
      await kube.close();
    }
  });

  it('a LocalPV volume is backed up from its owner node, which the manifest records', async () => {
    const replicas = await cluster.locate({ volume: pvLocal, kind: 'localpv', poolName: t.hosts[2]!.pool });
    expect(replicas.map((r) => r.node)).toEqual(['node-c']);
    const r = await cluster.backupVolume({
      volume: { volume: pvLocal, kind: 'localpv', poolName: t.hosts[2]!.pool },
      schedule: 'local-sched',
      snapName: 'local-sched-20260101000000',
      prevSnapName: '',
      disableIncrementalBackups: true,
      location,
    });
    expect(r.node).toBe('node-c');
    expect(r.failedAttempts).toEqual([]);
    expect(r.snapshotGuid).toBe(await guidOf(`${t.hosts[2]!.pool}/${pvLocal}@local-sched-20260101000000`));
    const m = await readManifest(bucket, r.dataKey);
    expect(m.node).toBe('node-c');
    expect(m.dataset).toBe(`${t.hosts[2]!.pool}/${pvLocal}`);
    const listed = await cluster.listBackups(location, pvLocal);
    expect(listed.map((b) => [b.backup, b.node, b.snapshotGuid])).toEqual([['local-sched-20260101000000', 'node-c', r.snapshotGuid]]);
    // Restored to the owner node only, content equal.
    const res = await cluster.restoreVolume({
      restoreName: 'r-local',
      backup: 'local-sched-20260101000000',
      sourceVolume: pvLocal,
      targetVolume: `${pvLocal}-r`,
      targets: [{ pool: t.hosts[2]!.pool, node: 'node-c' }],
      restoreAllIncrementalSnapshots: false,
      location,
    });
    expect(res.replicas.map((x) => x.node)).toEqual(['node-c']);
    expect(await fileSha(`${t.hosts[2]!.pool}/${pvLocal}-r`, 'local.bin')).toBe(localSha);
  });

  it('agent killed mid-backup: fails over to another replica; the manifest names the node that sent it; restore to every replica with equal bytes', async () => {
    const [h1] = t.hosts as [TestHost];
    const snapName = 'sched-20260101010000';
    const pending = cluster.backupVolume({
      volume: { volume: pv },
      schedule: 'sched',
      snapName,
      prevSnapName: '',
      disableIncrementalBackups: false,
      location,
      // 8 MiB in 5 MiB parts at 1 MiB/s: the second part waits until ~5 s, time enough to kill it midway.
      transfer: SLOW,
    });
    const failure = pending.then(() => undefined, (e: unknown) => e);
    await waitForRunningJob(cluster, h1);
    h1.agent!.proc.kill('SIGKILL');
    await h1.agent!.exited;
    const err = await failure;
    if (err) throw err;
    const r = await pending;
    expect(r.node).not.toBe('node-a');
    expect(r.failedAttempts.map((a) => [a.node, a.code])).toEqual([['node-a', ErrorCode.UNAVAILABLE]]);
    const m = await readManifest(bucket, r.dataKey);
    expect(m.node).toBe(r.node);
    expect(m.snapshotGuid).toBe(r.snapshotGuid);
    // Nothing half-committed: exactly one manifest for that backup, no multipart upload left open by
    // the killed node is listed as a backup.
    const listed = await cluster.listBackups(location, pv);
    expect(listed.filter((b) => b.backup === snapName).map((b) => b.node)).toEqual([r.node]);

    // Restart node-a (a pod restarting) before restoring into every replica.
    await t.startAgent(h1, agentArgs(), { AWS_ACCESS_KEY_ID: store!.accessKeyId, AWS_SECRET_ACCESS_KEY: store!.secretAccessKey });
    const target = `${pv}-restored`;
    const res = await cluster.restoreVolume({
      restoreName: 'r-all',
      backup: snapName,
      sourceVolume: pv,
      targetVolume: target,
      restoreAllIncrementalSnapshots: true,
      targetIp: '10.0.0.42',
      location,
    });
    expect(res.replicas.map((x) => x.node).sort()).toEqual(['node-a', 'node-b', 'node-c']);
    for (const h of t.hosts) {
      expect(await fileSha(`${h.pool}/${target}`, 'data.bin')).toBe(seedSha);
      expect((await run('zfs', ['get', '-H', '-o', 'value', 'io.openebs:targetip', `${h.pool}/${target}`])).stdout.trim()).toBe('10.0.0.42');
    }
  });

  it('host cut off the network mid-backup (veth down): the liveness probe notices and another replica sends it', async () => {
    const inv = await cluster.inventory();
    // The previous test's backup left its snapshot on one node only: make this one full, from the
    // first healthy replica in order (node-a).
    const snapName = 'sched-20260101020000';
    const first = inv.map((n) => n.node).sort()[0]!;
    const h = t.hosts.find((x) => x.node === first)!;
    const pending = cluster.backupVolume({
      volume: { volume: pv },
      schedule: 'sched',
      snapName,
      prevSnapName: '',
      disableIncrementalBackups: true,
      location,
      transfer: SLOW,
    });
    const settled = pending.then(() => undefined, (e: unknown) => e);
    let winner = '';
    await waitForRunningJob(cluster, h);
    t.setLink(h, false);
    try {
      const err = await settled;
      if (err) throw err;
      const r = await pending;
      expect(r.node).not.toBe(first);
      expect(r.failedAttempts.map((a) => [a.node, a.code])).toEqual([[first, ErrorCode.UNAVAILABLE]]);
      expect(r.failedAttempts[0]!.message).toMatch(/stopped answering/);
      const m = await readManifest(bucket, r.dataKey);
      expect(m.node).toBe(r.node);
      winner = r.node;
    } finally {
      t.setLink(h, true);
    }
    // Back on the network, the cut-off node's job goes on and reaches its commit: it must find the
    // backup committed by the other node and discard its own upload (or stall out), never replace it.
    const c = cluster.client(h.agent!.address) as unknown as { call: (m: string, r: unknown) => Promise<any> };
    let ended: { phase: string; error?: { code: string } } | undefined;
    for (let i = 0; i < 120 && !ended; i++) {
      const jobs = (await c.call('ListJobs', { phases: [] })).jobs as { phase: string; description: string; error?: { code: string } }[];
      ended = jobs.find((j) => j.description.includes(snapName) && ['PHASE_FAILED', 'PHASE_DONE', 'PHASE_INVALID'].includes(j.phase));
      if (!ended) await new Promise((r) => setTimeout(r, 500));
    }
    if (process.env.SNAPSTREAM_TEST_LOG) process.stderr.write(`[cluster-test] cut-off node's job ended ${ended?.phase} ${ended?.error?.code} ${(ended?.error as { message?: string } | undefined)?.message}\n`);
    // FAILED (stalled, aborted, the backup already committed) or INVALID (its upload was aborted by the
    // node that took over: NOT_FOUND).
    expect(['PHASE_FAILED', 'PHASE_INVALID'], `the cut-off node's job ended ${ended?.phase} ${ended?.error?.code}`).toContain(ended?.phase);
    // NOT_FOUND: the node that took over found the cut-off node's progress record for the same key
    // (another snapshot guid), so it aborted that upload and started its own; the stale upload is gone.
    expect(['ALREADY_EXISTS', 'STALLED', 'ABORTED', 'NOT_FOUND']).toContain(ended!.error!.code);
    const listed = await cluster.listBackups(location, pv);
    expect(listed.filter((b) => b.backup === snapName).map((b) => b.node)).toEqual([winner]);
    // The committed backup still verifies: its object is the one its manifest describes.
    const other = t.hosts.find((x) => x.node === winner)!;
    const vc = cluster.client(other.agent!.address);
    const v = await (vc as unknown as { call: (m: string, r: unknown) => Promise<{ job: { id: string } }> }).call('VerifyBackup', {
      location: { vsl: { config: location } },
      backupName: snapName,
      volumeName: pv,
    });
    expect((await vc.watchJob(v.job.id)).phase).toBe('done');
  });

  it('the controller on the cluster: a schedule naming volumes by pattern backs each up from a node holding it, then incrementally from the node with the base', async () => {
    const [h1, h2, h3] = t.hosts as [TestHost, TestHost, TestHost];
    const prefix = `ctl${t.tag}`;
    const vx = `${prefix}-x`;
    const vy = `${prefix}-y`;
    await run('zfs', ['create', `${h1.pool}/${vx}`]);
    await run('zfs', ['snapshot', `${h1.pool}/${vx}@seed`]);
    await sendRecv(`${h1.pool}/${vx}@seed`, `${h2.pool}/${vx}`);
    await run('zfs', ['create', `${h3.pool}/${vy}`]);
    const text = [
      'apiVersion: snapstream.io/v1',
      'kind: SnapstreamConfig',
      'locations:',
      '  - name: main',
      '    provider: aws',
      `    bucket: ${bucket}`,
      `    region: ${store!.region}`,
      `    s3Url: ${t.storeUrl}`,
      '    s3ForcePathStyle: true',
      '    backupPathPrefix: ctl',
      'schedules:',
      '  - name: ctl',
      '    schedule: "@every 1h"',
      '    keepLast: 5',
      `    volumeNames: ["${prefix}-*"]`,
      '',
    ].join('\n');
    const config = parseConfig([{ file: 'ctl.yaml', text }]);
    expect(config.schedules[0]!.volumeNames).toEqual([`${prefix}-*`]);
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: store!.accessKeyId, AWS_SECRET_ACCESS_KEY: store!.secretAccessKey });
    const loc = config.locations[0]!;
    const catalog = new StoreCatalog(await openStore(loc.location, { log }), loc.location.layout, log);
    const unused = new GrpcAgentClient({ address: '127.0.0.1:1', insecure: true });
    const controller = new Controller({ config, agent: unused, cluster, openCatalog: async () => catalog, log, retry: { maxAttempts: 1, delayMs: 0 } });
    try {
      const slot1 = new Date('2026-01-01T05:00:00Z');
      const st1 = await controller.runSlot(config.schedules[0]!, slot1);
      expect(st1.lastResult).toBe('succeeded');
      expect(st1.volumes.map((v) => [v.volume, v.result, v.type])).toEqual([
        [vx, 'succeeded', 'full'],
        [vy, 'succeeded', 'full'],
      ]);
      const m1 = await catalog.list();
      const nodeOf = (v: string, b: string) => m1.concat().find((m) => m.volume === v && m.backup === b)?.node;
      expect(['node-a', 'node-b']).toContain(nodeOf(vx, 'ctl-20260101050000'));
      expect(nodeOf(vy, 'ctl-20260101050000')).toBe('node-c');
      const st2 = await controller.runSlot(config.schedules[0]!, new Date('2026-01-01T06:00:00Z'));
      expect(st2.volumes.map((v) => [v.volume, v.result, v.type])).toEqual([
        [vx, 'succeeded', 'incremental'],
        [vy, 'succeeded', 'incremental'],
      ]);
      const m2 = await catalog.list();
      const x2 = m2.find((m) => m.volume === vx && m.backup === 'ctl-20260101060000')!;
      // The base lives only where slot 1 was sent from: slot 2 must come from that same node.
      expect(x2.node).toBe(nodeOf(vx, 'ctl-20260101050000'));
      expect(x2.previousSnapshot).toBe('ctl-20260101050000');
    } finally {
      unused.close();
      await catalog.close();
    }
  });

  it('no replica qualifies: an unknown volume is NOT_FOUND; an incremental whose base guid differs everywhere is BASE_MISSING', async () => {
    await expect(cluster.locate({ volume: 'pvc-nowhere' })).rejects.toMatchObject({ code: ErrorCode.NOT_FOUND });
    const e = await cluster
      .backupVolume({ volume: { volume: pv }, schedule: 'sched', snapName: 'sched-20260101030000', prevSnapName: 'seed', prevSnapGuid: '123', disableIncrementalBackups: false, location })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SnapstreamError);
    expect((e as SnapstreamError).code).toBe(ErrorCode.BASE_MISSING);
    expect(((e as SnapstreamError).details.attempts as unknown[]).length).toBe(3);
  });
});
