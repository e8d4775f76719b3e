import { rmSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestPki, TEST_CLIENT_FLAGS, makeTestPki } from './helpers/make-certs.js';
import { type AgentProcess, REPO, startAgentProcess } from './helpers/agent-process.js';
import { type CallError, type Client, agentClient, call, waitForBytes, waitForJob, watch } from './helpers/agent-client.js';
import { fileHash, listKeys, listUploads, processesMentioning, slowZfsWrapper, writeRandomFile, zfs } from './helpers/test-bed.js';
import { createBucket, createDataset, destroyDataset, emptyAndDeleteBucket, getTestEnv, makeS3Client, needs, uniqueName } from '../helpers/test-env.js';

/**
 * End to end: a real agent process (bin/snapstream.js agent) on 127.0.0.1 with mTLS, driven over gRPC
 * the way the cStor operator would, against zfs-fuse and radosgw.
 */
const MiB = 1024 * 1024;

const env = getTestEnv();
let pki: TestPki;
/** The agent may touch only this dataset subtree (allowedPools takes dataset prefixes). */
let root: string;
let s3: S3Client;
let bucket: string;
let agent: AgentProcess;
let client: Client;
let wrapper: ReturnType<typeof slowZfsWrapper>;
let url: string;
const vol = 'pvc-e2e';
let ds: string;

let agentEnv: NodeJS.ProcessEnv;

function mtlsCreds(cert = pki.clientCert, key = pki.clientKey): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(pki.read(pki.caFile), pki.read(key), pki.read(cert));
}

async function expectCode(p: Promise<unknown>, grpcCode: grpc.status, snapstreamCode?: string): Promise<CallError> {
  const e = (await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err,
  )) as CallError;
  expect(e.code, e.details).toBe(grpcCode);
  if (snapstreamCode) {
    expect(e.snapstreamCode).toBe(snapstreamCode);
    expect(e.reason).toBe(snapstreamCode);
  }
  return e;
}

function backupReq(snapName: string, extra: Record<string, unknown> = {}) {
  return { backupName: 'sched', volumeName: vol, snapName, dataset: ds, backupDest: url, ...extra };
}

beforeAll(async () => {
  if (!needs('zfs', 's3')) return;
  const ep = env.s3!;
  agentEnv = { AWS_ACCESS_KEY_ID: ep.accessKeyId, AWS_SECRET_ACCESS_KEY: ep.secretAccessKey, AWS_REGION: ep.region };
  pki = makeTestPki();
  root = await createDataset(env.zfsPool!, uniqueName('agent'));
  ds = await createDataset(root, vol);
  s3 = makeS3Client(ep);
  bucket = uniqueName('agent');
  await createBucket(ep, bucket);
  url = `s3://${bucket}/cluster-a?endpoint=${encodeURIComponent(ep.endpoint)}&region=${ep.region}&forcePathStyle=true`;
  wrapper = slowZfsWrapper();
  agent = await startAgentProcess(
    [
      '--listen', '127.0.0.1:0',
      '--metrics-listen', '127.0.0.1:0',
      '--health-listen', '127.0.0.1:0',
      '--tls-ca', pki.caFile,
      '--tls-cert', pki.serverCert,
      '--tls-key', pki.serverKey,
      '--allowed-pool', root,
      ...TEST_CLIENT_FLAGS,
      // The one bucket (any prefix) at the test radosgw: everything else is refused (authz tests).
      '--allow-location', `s3://${bucket}?endpoint=${encodeURIComponent(ep.endpoint)}`,
      '--zfs-binary', wrapper.binary,
      '--memory-budget', '256Mi',
      '--stall-timeout', '60',
      '--node-name', 'node-e2e',
      '--log-level', 'debug',
    ],
    agentEnv,
  );
  client = agentClient(agent.grpcPort, mtlsCreds());
}, 120_000);

afterAll(async () => {
  client?.close();
  await agent?.stop();
  s3?.destroy();
  if (bucket) await emptyAndDeleteBucket(env.s3!, bucket).catch(() => {});
  if (root) await destroyDataset(root);
  if (wrapper) rmSync(wrapper.dir, { recursive: true, force: true });
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!needs('zfs', 's3'))('agent over mTLS', { timeout: 30_000 }, () => {
  it('serves the standard gRPC health service, over mTLS and on the plaintext probe port', async () => {
    const def = protoLoader.loadSync(healthProtoPath);
    const Health = (grpc.loadPackageDefinition(def) as any).grpc.health.v1.Health as grpc.ServiceClientConstructor;
    const check = async (port: number, creds: grpc.ChannelCredentials) => {
      const h = new Health(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': 'localhost' });
      try {
        return await new Promise<any>((resolve, reject) =>
          (h as any).check({ service: 'snapstream.v1.Agent' }, { deadline: Date.now() + 5000 }, (e: Error | null, r: unknown) => (e ? reject(e) : resolve(r))),
        );
      } finally {
        h.close();
      }
    };
    // grpc-health-check's proto loads enums as numbers: 1 = SERVING.
    expect([1, 'SERVING']).toContain((await check(agent.grpcPort, mtlsCreds())).status);
    expect([1, 'SERVING']).toContain((await check(agent.healthPort, grpc.credentials.createInsecure())).status);
    // The probe port serves health only: the API is not reachable there without mTLS.
    await expectCode(call(agentClient(agent.healthPort), 'ListJobs', {}, 5000), grpc.status.UNIMPLEMENTED);
  });

  it('answers gRPC server reflection with the Agent service', async () => {
    const def = protoLoader.loadSync(path.join(REPO, 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto'));
    const Reflection = (grpc.loadPackageDefinition(def) as any).grpc.reflection.v1.ServerReflection as grpc.ServiceClientConstructor;
    const r = new Reflection(`127.0.0.1:${agent.grpcPort}`, mtlsCreds(), { 'grpc.ssl_target_name_override': 'localhost' });
    try {
      const services = await new Promise<string[]>((resolve, reject) => {
        const stream = (r as any).serverReflectionInfo();
        stream.on('data', (res: any) => {
          resolve(res.listServicesResponse.service.map((x: any) => x.name));
          stream.end();
        });
        stream.on('error', reject);
        stream.write({ listServices: '' });
      });
      expect(services).toContain('snapstream.v1.Agent');
    } finally {
      r.close();
    }
  });

  it('refuses clients without a certificate, with another CA\'s certificate, or in plaintext', async () => {
    const noCert = agentClient(agent.grpcPort, grpc.credentials.createSsl(pki.read(pki.caFile)));
    const rogue = agentClient(agent.grpcPort, mtlsCreds(pki.rogueCert, pki.rogueKey));
    const plain = agentClient(agent.grpcPort, grpc.credentials.createInsecure());
    for (const c of [noCert, rogue, plain]) {
      await expectCode(call(c, 'ListJobs', {}, 5000), grpc.status.UNAVAILABLE);
      c.close();
    }
    // The trusted client works on the same agent.
    expect(await call(client, 'ListJobs', {})).toHaveProperty('jobs');
  });

  it('refuses datasets outside the allowed pools with PERMISSION_DENIED', async () => {
    await expectCode(call(client, 'Backup', backupReq('s-x', { dataset: `${env.zfsPool}/not-allowed` })), grpc.status.PERMISSION_DENIED, 'PERMISSION_DENIED');
    await expectCode(call(client, 'CreateSnapshot', { dataset: 'otherpool/vol', snapName: 'x' }), grpc.status.PERMISSION_DENIED, 'PERMISSION_DENIED');
    await expectCode(
      call(client, 'Restore', { restoreName: 'r', volumeName: vol, backupName: 'b1', targetDataset: 'rpool/x', restoreSrc: url }),
      grpc.status.PERMISSION_DENIED,
      'PERMISSION_DENIED',
    );
    await expectCode(call(client, 'Backup', backupReq('s-x', { dataset: 'bad name' })), grpc.status.INVALID_ARGUMENT, 'INVALID_NAME');
  });
});

describe.skipIf(!needs('zfs', 's3'))('unknown things', { timeout: 30_000 }, () => {
  it('an unknown job or dataset is NOT_FOUND, for unary calls and for the WatchJob stream', async () => {
    await expectCode(call(client, 'GetJob', { jobId: 'no-such-job' }), grpc.status.NOT_FOUND, 'NOT_FOUND');
    await expectCode(call(client, 'CancelJob', { jobId: 'no-such-job' }), grpc.status.NOT_FOUND, 'NOT_FOUND');
    const e = (await watch(client, 'no-such-job').then(
      () => ({ code: -1 }),
      (err: grpc.ServiceError) => err,
    )) as grpc.ServiceError;
    expect(e.code).toBe(grpc.status.NOT_FOUND);
    expect(e.metadata?.get('snapstream-error-code')[0]).toBe('NOT_FOUND');
    await expectCode(call(client, 'ListSnapshots', { dataset: `${root}/absent` }), grpc.status.NOT_FOUND, 'NOT_FOUND');
  });
});

describe.skipIf(!needs('zfs', 's3'))('scheduled backups and restores, as the operator drives them', { timeout: 90_000 }, () => {
  const hashes: Record<string, string> = {};
  const snap1 = 'sched-20261124000001';
  const snap2 = 'sched-20261124000002';
  const snap3 = 'sched-20261124000003';

  it('full backup with disableIncrementalBackups, watched to Done', async () => {
    hashes.a1 = writeRandomFile(ds, 'a.bin', 12);
    const s = await call(client, 'CreateSnapshot', { dataset: ds, snapName: snap1 });
    expect(s.guid).toMatch(/^\d+$/);
    await call(client, 'Backup', backupReq(snap1));
    const first = await waitForJob(client, (await call(client, 'ListJobs', {})).jobs.at(-1).id);
    expect(first.phase).toBe('PHASE_DONE');

    hashes.a2 = writeRandomFile(ds, 'a.bin', 12);
    await call(client, 'CreateSnapshot', { dataset: ds, snapName: snap2 });
    // The operator passes the last completed snapshot as the base; the flag must win.
    const res = await call(client, 'Backup', backupReq(snap2, { prevSnapName: snap1, disableIncrementalBackups: true, transfer: { partSizeBytes: 5 * MiB } }));
    expect(res.joined).toBe(false);
    expect(res.job.kind).toBe('JOB_KIND_BACKUP');
    const events = await watch(client, res.job.id, 50);
    const last = events.at(-1).job;
    expect(last.phase).toBe('PHASE_DONE');
    expect(last.backup.previousSnapshot).toBe('');
    expect(last.backup.sizeBytes).toBeGreaterThan(12 * MiB);
    expect(last.backup.parts).toBeGreaterThanOrEqual(3);
    expect(last.node).toBe('node-e2e');
    const phases = events.map((e) => e.job.phase);
    expect(phases).toContain('PHASE_IN_PROGRESS');
    const progressing = events.filter((e) => e.job.phase === 'PHASE_IN_PROGRESS');
    expect(progressing.some((e) => e.job.progress.bytes > 0)).toBe(true);
    const keys = await listKeys(s3, bucket, 'cluster-a/backups/' + snap2 + '/');
    expect(keys).toEqual([`cluster-a/backups/${snap2}/${vol}-${snap2}`, `cluster-a/backups/${snap2}/${vol}-${snap2}.snapstream.json`]);
  });

  it('incremental backup from the previous snapshot', async () => {
    hashes.b3 = writeRandomFile(ds, 'b.bin', 3);
    await call(client, 'CreateSnapshot', { dataset: ds, snapName: snap3 });
    const res = await call(client, 'Backup', backupReq(snap3, { prevSnapName: snap2 }));
    const done = await waitForJob(client, res.job.id);
    expect(done.phase).toBe('PHASE_DONE');
    expect(done.backup.previousSnapshot).toBe(snap2);
    expect(done.backup.sizeBytes).toBeLessThan(6 * MiB);
    const list = await call(client, 'ListBackups', { location: { url }, volumeName: vol });
    expect(list.backups.map((b: any) => b.backup).sort()).toEqual([snap1, snap2, snap3]);
    expect(list.backups.find((b: any) => b.backup === snap3).previousSnapshot).toBe(snap2);
  });

  it('a duplicate request joins the finished job instead of uploading again', async () => {
    const again = await call(client, 'Backup', backupReq(snap3, { prevSnapName: snap2 }));
    expect(again.joined).toBe(true);
    expect(again.job.phase).toBe('PHASE_DONE');
    const jobs = (await call(client, 'ListJobs', {})).jobs.filter((j: any) => j.description.includes(`@${snap3}`));
    expect(jobs).toHaveLength(1);
  });

  it('localSnap only takes the snapshot: nothing is uploaded', async () => {
    const snap = 'local-only-1';
    const res = await call(client, 'Backup', backupReq(snap, { localSnap: true, backupDest: '' }));
    const done = await waitForJob(client, res.job.id);
    expect(done.phase).toBe('PHASE_DONE');
    expect(done.backup.localOnly).toBe(true);
    expect((await call(client, 'ListSnapshots', { dataset: ds })).snapshots.map((s: any) => s.name)).toContain(snap);
    expect(await listKeys(s3, bucket, `cluster-a/backups/${snap}/`)).toEqual([]);
    expect((await call(client, 'DestroySnapshot', { dataset: ds, snapName: snap })).destroyed).toBe(true);
  });

  it('a job that can never fit the memory budget is refused with RESOURCE_EXHAUSTED', async () => {
    const e = await expectCode(
      call(client, 'Backup', backupReq(snap3, { backupName: 'other', transfer: { concurrency: 64, partSizeBytes: 1024 * MiB } })),
      grpc.status.RESOURCE_EXHAUSTED,
      'RESOURCE_EXHAUSTED',
    );
    expect(e.details).toMatch(/memory budget/);
  });

  it('concurrent duplicates join the running job', async () => {
    const snap = 'sched-20261124000009';
    await call(client, 'CreateSnapshot', { dataset: ds, snapName: snap });
    const req = backupReq(snap, { disableIncrementalBackups: true, transfer: { rateLimitBytesPerSec: 8 * MiB } });
    const [a, b] = await Promise.all([call(client, 'Backup', req), call(client, 'Backup', req)]);
    expect(a.job.id).toBe(b.job.id);
    expect([a.joined, b.joined].sort()).toEqual([false, true]);
    expect((await waitForJob(client, a.job.id)).phase).toBe('PHASE_DONE');
  });

  it('chain restore with autoSetTargetIP replays full + incremental and sets io.openebs:targetip', async () => {
    const target = `${root}/restored-chain`;
    const res = await call(client, 'Restore', {
      restoreName: 'r1',
      volumeName: vol,
      backupName: snap3,
      targetDataset: target,
      restoreAllIncrementalSnapshots: true,
      autoSetTargetIp: true,
      targetIp: '10.20.30.40',
      location: { url },
    });
    const done = await waitForJob(client, res.job.id);
    expect(done.phase, JSON.stringify(done.error)).toBe('PHASE_DONE');
    expect(done.restore.restoredBackups).toEqual([snap2, snap3]);
    expect(fileHash(target, 'a.bin')).toBe(hashes.a2);
    expect(fileHash(target, 'b.bin')).toBe(hashes.b3);
    expect(zfs('get', '-H', '-o', 'value', 'io.openebs:targetip', target)).toBe('10.20.30.40');
  });

  it('single restore of a full scheduled backup (restoreAllIncrementalSnapshots=false)', async () => {
    const target = `${root}/restored-single`;
    const res = await call(client, 'Restore', {
      restoreName: 'r2',
      volumeName: vol,
      backupName: snap2,
      targetDataset: target,
      location: { vsl: { config: { provider: 'aws', bucket, region: 'us-east-1', s3Url: env.s3!.endpoint, s3ForcePathStyle: 'true', backupPathPrefix: 'cluster-a' } } },
    });
    const done = await waitForJob(client, res.job.id);
    expect(done.phase, JSON.stringify(done.error)).toBe('PHASE_DONE');
    expect(fileHash(target, 'a.bin')).toBe(hashes.a2);
    expect(zfs('get', '-H', '-o', 'value', 'io.openebs:targetip', target)).toBe('-');
  });

  it('restoring only an incremental backup without its base fails Invalid with BASE_MISSING', async () => {
    const target = `${root}/nobase`;
    const r = await call(client, 'Restore', { restoreName: 'r3', volumeName: vol, backupName: snap3, targetDataset: target, restoreSrc: url });
    const j = await waitForJob(client, r.job.id);
    expect(j.phase).toBe('PHASE_INVALID');
    expect(j.error.code).toBe('BASE_MISSING');
    expect(j.error.message).toMatch(/restoreAllIncrementalSnapshots/);
    expect(() => zfs('list', '-H', target)).toThrow(/does not exist/);
  });

  it('verify, then delete a backup; destroy the old snapshot (cleanupCompletedBackup)', async () => {
    const v = await call(client, 'VerifyBackup', { location: { url }, backupName: snap1, volumeName: vol });
    const done = await waitForJob(client, v.job.id);
    expect(done.phase).toBe('PHASE_DONE');
    expect(done.verify.parts).toBeGreaterThan(0);
    expect((await call(client, 'DeleteBackup', { location: { url }, backupName: snap1, volumeName: vol })).deleted).toBe(true);
    expect((await call(client, 'DeleteBackup', { location: { url }, backupName: snap1, volumeName: vol })).deleted).toBe(false);
    expect(await listKeys(s3, bucket, `cluster-a/backups/${snap1}/`)).toEqual([]);
    expect((await call(client, 'DestroySnapshot', { dataset: ds, snapName: snap1 })).destroyed).toBe(true);
    const snaps = (await call(client, 'ListSnapshots', { dataset: ds })).snapshots.map((s: any) => s.name);
    expect(snaps).not.toContain(snap1);
    expect(snaps).toContain(snap3);
  });
});

describe.skipIf(!needs('zfs', 's3'))('cancel and failure leave nothing behind', { timeout: 90_000 }, () => {
  it('cancelling a backup mid-transfer aborts the multipart upload and writes no manifest', async () => {
    const snap = 'cancel-b1';
    writeRandomFile(ds, 'c.bin', 16);
    await call(client, 'CreateSnapshot', { dataset: ds, snapName: snap });
    const res = await call(client, 'Backup', backupReq(snap, { disableIncrementalBackups: true, transfer: { rateLimitBytesPerSec: 2 * MiB, partSizeBytes: 5 * MiB } }));
    // Wait until bytes are moving and the multipart upload exists.
    await waitForBytes(client, res.job.id, 2 * MiB);
    expect((await listUploads(s3, bucket)).length).toBeGreaterThan(0);
    const cancelled = await call(client, 'CancelJob', { jobId: res.job.id });
    expect(cancelled.phase).toBe('PHASE_FAILED');
    expect(cancelled.error.code).toBe('ABORTED');
    // Nothing left behind: no multipart upload, no manifest or data object, no zfs send.
    expect(await listUploads(s3, bucket)).toEqual([]);
    expect(await listKeys(s3, bucket, `cluster-a/backups/${snap}/`)).toEqual([]);
    expect(processesMentioning(`@${snap}`)).toEqual([]);
    // A retry after a cancel starts a new job (a failed job does not absorb retries).
    const retry = await call(client, 'Backup', backupReq(snap, { disableIncrementalBackups: true }));
    expect(retry.joined).toBe(false);
    expect((await waitForJob(client, retry.job.id)).phase).toBe('PHASE_DONE');
  });

  it('cancelling a restore mid-transfer leaves no half-received dataset', async () => {
    const target = `${root}/cancelled-restore`;
    wrapper.setSlowRecv(true);
    try {
      const res = await call(client, 'Restore', { restoreName: 'rc', volumeName: vol, backupName: 'cancel-b1', targetDataset: target, restoreSrc: url });
      await waitForBytes(client, res.job.id, 2 * MiB);
      const cancelled = await call(client, 'CancelJob', { jobId: res.job.id });
      expect(cancelled.error.code).toBe('ABORTED');
    } finally {
      wrapper.setSlowRecv(false);
    }
    expect(() => zfs('list', '-H', target)).toThrow(/does not exist/);
    expect(processesMentioning(target)).toEqual([]);
  });

  it('a transfer that makes no progress fails with STALLED after the stall timeout', async () => {
    const snap = 'stall-b1';
    await call(client, 'CreateSnapshot', { dataset: ds, snapName: snap });
    wrapper.setStallSend(true);
    let j: any;
    try {
      const res = await call(client, 'Backup', backupReq(snap, { transfer: { stallTimeoutSeconds: 1 } }));
      j = await waitForJob(client, res.job.id, 20_000);
    } finally {
      wrapper.setStallSend(false);
    }
    expect(j.phase).toBe('PHASE_FAILED');
    expect(j.error.code).toBe('STALLED');
    expect(j.error.retryable).toBe(true);
    expect(await listUploads(s3, bucket)).toEqual([]);
    expect(await listKeys(s3, bucket, `cluster-a/backups/${snap}/`)).toEqual([]);
    expect(processesMentioning(`@${snap}`)).toEqual([]);
  });

  it('a request carrying credentials is refused and no secret reaches the logs', async () => {
    const secret = 'SUPERSECRETvalue123';
    await expectCode(
      call(client, 'ListBackups', { location: { vsl: { config: { provider: 'aws', bucket, region: 'us-east-1', secretAccessKey: secret } } } }),
      grpc.status.INVALID_ARGUMENT,
      'INVALID_LOCATION',
    );
    await expectCode(call(client, 'Backup', backupReq('s-y', { backupDest: `s3://AKID:${secret}@${bucket}/x` })), grpc.status.INVALID_ARGUMENT, 'INVALID_LOCATION');
    await expectCode(
      call(client, 'Backup', backupReq('s-y', { backupDest: '', location: { vsl: { config: { provider: 'aws', bucket, region: 'x', password: secret, sessionToken: secret } } } })),
      grpc.status.INVALID_ARGUMENT,
      'INVALID_LOCATION',
    );
    await new Promise((r) => setTimeout(r, 200));
    const logs = agent.output.join('\n');
    expect(logs).toContain('"rpc":"Backup"');
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain(env.s3!.secretAccessKey);
  });

  it('exposes Prometheus metrics and /healthz', async () => {
    const body = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
    const value = (re: RegExp) => Number(re.exec(body)?.[1] ?? NaN);
    expect(value(/^snapstream_bytes_sent_total (\d+(?:\.\d+)?(?:e\+\d+)?)$/m)).toBeGreaterThan(20 * MiB);
    expect(value(/^snapstream_bytes_received_total (\S+)$/m)).toBeGreaterThan(10 * MiB);
    expect(body).toMatch(/^snapstream_jobs_total\{kind="backup",phase="Done",code=""\} [1-9]/m);
    expect(body).toMatch(/^snapstream_jobs_total\{kind="backup",phase="Failed",code="ABORTED"\} 1$/m);
    expect(body).toMatch(/^snapstream_job_duration_seconds_count\{kind="restore",phase="Done"\} [1-9]/m);
    expect(body).toMatch(/^snapstream_jobs_in_flight 0$/m);
    expect(body).toMatch(/^snapstream_memory_budget_bytes 268435456$/m);
    expect(body).toMatch(/^snapstream_memory_budget_in_use_bytes 0$/m);
    expect(body).toContain('snapstream_parts_retried_total');
    expect(body).toContain('snapstream_backpressure_stalls_total');
    const health = await fetch(`http://127.0.0.1:${agent.metricsPort}/healthz`);
    expect(health.status).toBe(200);
  });
});

describe.skipIf(!needs('zfs', 's3'))('SIGTERM', { timeout: 60_000 }, () => {
  it('during a transfer: queued and running jobs are cancelled cleanly, the agent exits within the grace period', async () => {
    // A second agent, plaintext on loopback (the only place plaintext is allowed), one job at a time.
    const a2 = await startAgentProcess(
      ['--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', '--insecure-plaintext', '--allowed-pool', root, '--allow-any-location', '--shutdown-grace', '10', '--max-concurrent-jobs', '1'],
      agentEnv,
    );
    const c2 = agentClient(a2.grpcPort);
    try {
      const snap = 'sigterm-1';
      await call(c2, 'CreateSnapshot', { dataset: ds, snapName: snap });
      const slow = { disableIncrementalBackups: true, transfer: { rateLimitBytesPerSec: 2 * MiB, partSizeBytes: 5 * MiB } };
      const res = await call(c2, 'Backup', backupReq(snap, slow));
      // Same snapshot under another schedule name: a different request, which has to wait for the slot.
      const queued = await call(c2, 'Backup', backupReq(snap, { ...slow, backupName: 'other-schedule', snapName: snap, volumeName: 'pvc-queued' }));
      expect(queued.job.phase).toBe('PHASE_PENDING');
      await waitForBytes(c2, res.job.id, 2 * MiB);
      expect((await listUploads(s3, bucket)).length).toBeGreaterThan(0);
      const metrics = await (await fetch(`http://127.0.0.1:${a2.metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/^snapstream_jobs_in_flight 1$/m);
      expect(metrics).toMatch(/^snapstream_jobs_queued 1$/m);
      expect(Number(/^snapstream_memory_budget_in_use_bytes (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(5 * MiB);

      const t0 = Date.now();
      a2.proc.kill('SIGTERM');
      const code = await a2.exited;
      expect(code).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
      // Nothing committed. A backup that had stored parts keeps its upload and progress record so the
      // operator's retry resumes it (test/faults/backup-faults.test.ts); nothing else is left.
      const left = await listKeys(s3, bucket, `cluster-a/backups/${snap}/`);
      expect(left.filter((k) => !k.endsWith('.snapstream-progress.json'))).toEqual([]);
      const uploads = await listUploads(s3, bucket);
      expect(uploads.map((u) => `${u.key}.snapstream-progress.json`).sort()).toEqual(left.sort());
      expect(processesMentioning(`@${snap}`)).toEqual([]);
      const logs = a2.output.join('\n');
      expect(logs).toContain('shutting down');
      const failed = a2.output.filter((l) => l.includes('"job failed"')).map((l) => JSON.parse(l));
      expect(failed.map((l) => l.jobId).sort()).toEqual([res.job.id, queued.job.id].sort());
      expect(failed.every((l) => l.code === 'UNAVAILABLE')).toBe(true);
      expect(logs).toContain('"clean":true');
    } finally {
      c2.close();
      await a2.stop('SIGKILL');
    }
  });
});
