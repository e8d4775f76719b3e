import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestPki, makeTestPki } from './helpers/make-certs.js';
import { type AgentProcess, startAgentProcess } from './helpers/agent-process.js';
import { type CallError, type Client, agentClient, call, waitForJob, watch } from './helpers/agent-client.js';
import { healthFlood, rssMiB } from './helpers/health-flood.js';
import { writeRandomFile } from './helpers/test-bed.js';
import { createDataset, destroyDataset, getTestEnv, needs, uniqueName } from '../helpers/test-env.js';

/**
 * Trust boundaries of the agent (issue 10, the agent side), against the real agent process over
 * mTLS: which locations a request may make it use, which client certificates may call what, that
 * secrets in a failing location never come back or reach the log, and that the plaintext health
 * port cannot be used to grow the agent's memory. docs/security.md names these tests.
 */
const env = getTestEnv();
let pki: TestPki;
let tmp: string;
/** The one file:// root the agent grants. */
let granted: string;
/** A directory the agent does NOT grant (stands for any host path). */
let outside: string;
let root: string;
let ds: string;
let agent: AgentProcess;
let operator: Client;
const vol = 'pvc-authz';
/** Distinctive fake cloud credentials in the agent's environment: they must never be sent or logged. */
const NODE_AK = 'AKIAAUTHZTESTNODE000';
const NODE_SK = 'node-secret-authz-TESTVALUE-never-logged';
/** A loopback HTTP listener standing for a metadata service or an in-cluster service. */
let bait: Server;
let baitPort: number;
let baitHits: string[] = [];

function creds(cert: string, key: string): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(pki.read(pki.caFile), pki.read(key), pki.read(cert));
}

async function refusal(p: Promise<unknown>): Promise<CallError> {
  return (await p.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (e: unknown) => e,
  )) as CallError;
}

async function expectDenied(p: Promise<unknown>, setting: RegExp): Promise<CallError> {
  const e = await refusal(p);
  expect(e.code, e.details).toBe(grpc.status.PERMISSION_DENIED);
  expect(e.snapstreamCode).toBe('PERMISSION_DENIED');
  expect(e.details).toMatch(setting);
  return e;
}

function backupReq(snapName: string, extra: Record<string, unknown>) {
  return { backupName: 'sched', volumeName: vol, snapName, dataset: ds, disableIncrementalBackups: true, ...extra };
}

beforeAll(async () => {
  if (!needs('zfs')) return;
  pki = makeTestPki();
  tmp = mkdtempSync(path.join(tmpdir(), 'snapstream-authz-'));
  granted = path.join(tmp, 'granted');
  outside = path.join(tmp, 'outside');
  mkdirSync(granted);
  mkdirSync(outside);
  root = await createDataset(env.zfsPool!, uniqueName('authz'));
  ds = await createDataset(root, vol);
  bait = createServer((req, res) => {
    baitHits.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => bait.listen(0, '127.0.0.1', () => r()));
  baitPort = (bait.address() as AddressInfo).port;
  const config = path.join(tmp, 'agent.yaml');
  writeFileSync(
    config,
    [
      'listen: "127.0.0.1:0"',
      'metricsListen: "127.0.0.1:0"',
      'healthListen: "127.0.0.1:0"',
      'tls:',
      `  caFile: ${pki.caFile}`,
      `  certFile: ${pki.serverCert}`,
      `  keyFile: ${pki.serverKey}`,
      `allowedPools: [${JSON.stringify(root)}]`,
      'clients:',
      '  - { identity: "cn:client", role: operator }',
      '  - { identity: "dns:reader.snapstream.test", role: reader }',
      'locations:',
      `  default: ${JSON.stringify(`file://${granted}/named`)}`,
      // A granted GCS location whose (config-given) key file is /dev/zero: read safely or not at all.
      '  gcs-zero: "gs://authz-zero/p?credentialsFile=/dev/zero"',
      'allowedLocations:',
      `  - ${JSON.stringify(`file://${granted}`)}`,
      '  - { provider: aws, bucket: authz-bucket, prefix: cluster-a, endpoint: "https://s3.example.invalid" }',
      '  - { provider: gcp, bucket: authz-bucket }',
      'logLevel: debug',
    ].join('\n') + '\n',
  );
  agent = await startAgentProcess(['--config', config], { AWS_ACCESS_KEY_ID: NODE_AK, AWS_SECRET_ACCESS_KEY: NODE_SK, AWS_REGION: 'us-east-1' });
  operator = agentClient(agent.grpcPort, creds(pki.clientCert, pki.clientKey));
  writeRandomFile(ds, 'a.bin', 1);
  await call(operator, 'CreateSnapshot', { dataset: ds, snapName: 's1' });
}, 120_000);

afterAll(async () => {
  operator?.close();
  await agent?.stop();
  bait?.close();
  if (root) await destroyDataset(root);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!needs('zfs'))('location grants', { timeout: 60_000 }, () => {
  it('a Backup to a file:// location outside the grants is PERMISSION_DENIED and writes nothing there', async () => {
    const e = await expectDenied(call(operator, 'Backup', backupReq('s1', { backupDest: `file://${outside}` })), /allowedLocations/);
    expect(e.details).toContain(`file://${outside}`);
    // `..` does not climb out of a granted root.
    await expectDenied(call(operator, 'Backup', backupReq('s1', { backupDest: `file://${granted}/../outside` })), /allowedLocations/);
    await expectDenied(call(operator, 'Backup', backupReq('s1', { location: { vsl: { config: { provider: 'local', path: outside } } } })), /allowedLocations/);
    expect(readdirSync(outside)).toEqual([]);
    // An unknown name is refused the same way, naming what is configured.
    await expectDenied(call(operator, 'ListBackups', { location: { name: 'elsewhere' } }), /configured: default, gcs-zero/);
  });

  it('inside the grants, and by name, backups work', async () => {
    const res = await call(operator, 'Backup', backupReq('s1', { backupDest: `file://${granted}/direct` }));
    expect((await waitForJob(operator, res.job.id)).phase).toBe('PHASE_DONE');
    const named = await call(operator, 'Backup', backupReq('s1', { location: { name: 'default' } }));
    const done = await waitForJob(operator, named.job.id);
    expect(done.phase, JSON.stringify(done.error)).toBe('PHASE_DONE');
    expect(readdirSync(path.join(granted, 'named', 'backups'))).toEqual(['s1']);
    const list = await call(operator, 'ListBackups', { location: { name: 'default' } });
    expect(list.backups.map((b: any) => b.backup)).toEqual(['s1']);
  });

  it('an unlisted S3 endpoint is refused before any request reaches it', async () => {
    baitHits = [];
    const rogue = `s3://authz-bucket/cluster-a?endpoint=${encodeURIComponent(`http://127.0.0.1:${baitPort}`)}&region=us-east-1`;
    await expectDenied(call(operator, 'ListBackups', { location: { url: rogue } }), /allowedLocations/);
    await expectDenied(call(operator, 'Backup', backupReq('s1', { backupDest: rogue })), /allowedLocations/);
    await expectDenied(call(operator, 'VerifyBackup', { location: { url: rogue }, backupName: 's1', volumeName: vol }), /allowedLocations/);
    await expectDenied(
      call(operator, 'ListBackups', { location: { vsl: { config: { provider: 'aws', bucket: 'authz-bucket', region: 'us-east-1', s3Url: `http://127.0.0.1:${baitPort}`, backupPathPrefix: 'cluster-a' } } } }),
      /allowedLocations/,
    );
    // The granted bucket at the granted endpoint but outside the granted prefix: refused too.
    await expectDenied(call(operator, 'ListBackups', { location: { url: 's3://authz-bucket/other?endpoint=https://s3.example.invalid' } }), /allowedLocations/);
    await new Promise((r) => setTimeout(r, 300));
    expect(baitHits).toEqual([]);
  });

  it('credentialsFile=/dev/zero in a request is refused without reading it; in the config it fails fast as "a device"', async () => {
    const before = rssMiB(agent.proc.pid!);
    await expectDenied(call(operator, 'ListBackups', { location: { url: 'gs://authz-bucket/p?credentialsFile=/dev/zero' } }), /credentialsFile/);
    // The same through a VSL config (velero-plugin-for-gcp's key name).
    await expectDenied(call(operator, 'ListBackups', { location: { vsl: { config: { provider: 'gcp', bucket: 'authz-bucket', credentialsFile: '/dev/zero' } } } }), /sets credentialsFile/);
    const e = await refusal(call(operator, 'ListBackups', { location: { name: 'gcs-zero' } }));
    expect(e.snapstreamCode).toBe('INVALID_LOCATION');
    expect(e.details).toMatch(/credentialsFile \/dev\/zero is a device, not a regular file/);
    // Reading /dev/zero for even a second would have added hundreds of MiB.
    expect(rssMiB(agent.proc.pid!) - before).toBeLessThan(50);
  });

  it('a request may not choose credentials or TLS trust for a granted location', async () => {
    const base = 's3://authz-bucket/cluster-a?endpoint=https://s3.example.invalid';
    for (const extra of ['&profile=other-tenant', '&insecureSkipTLSVerify=true']) {
      const e = await expectDenied(call(operator, 'ListBackups', { location: { url: base + extra } }), /requests may not choose credentials/);
      expect(e.details).toMatch(/allowedLocations\[1\]/);
    }
  });
});

describe.skipIf(!needs('zfs'))('key and certificate files', { timeout: 30_000 }, () => {
  it('a TLS key path naming /dev/zero, a FIFO or a link to a device stops the agent at startup with the setting named', async () => {
    const fifo = path.join(tmp, 'key.fifo');
    execFileSync('mkfifo', [fifo]);
    const link = path.join(tmp, 'key-link.pem');
    symlinkSync('/dev/zero', link);
    for (const [key, why] of [
      ['/dev/zero', 'is a device, not a regular file'],
      [fifo, 'is a FIFO, not a regular file'],
      [link, 'is a device, not a regular file'],
    ] as const) {
      const started = startAgentProcess(['--listen', '127.0.0.1:0', '--metrics-listen', '', '--tls-ca', pki.caFile, '--tls-cert', pki.serverCert, '--tls-key', key, '--allowed-pool', root, '--allow-any-client']);
      const e = (await started.then(
        (a) => {
          void a.stop('SIGKILL');
          throw new Error(`agent started with --tls-key ${key}`);
        },
        (err: Error) => err,
      )) as Error;
      expect(e.message).toMatch(/agent exited with 2 before listening/);
      expect(e.message).toContain(`tls.keyFile ${key} ${why}`);
    }
  });
});

describe.skipIf(!needs('zfs'))('client identities and roles', { timeout: 30_000 }, () => {
  it('a client certificate without the clientAuth EKU is refused', async () => {
    // No EKU at all: OpenSSL treats it as good for any purpose, so only the agent's check stops it.
    const c = agentClient(agent.grpcPort, creds(pki.noEkuCert, pki.noEkuKey));
    try {
      const e = await expectDenied(call(c, 'ListJobs', {}), /lacks the clientAuth extended key usage/);
      expect(e.details).toContain('dns:node-3.snapstream.test');
      await expectDenied(call(c, 'Backup', backupReq('s1', { location: { name: 'default' } })), /clientAuth/);
    } finally {
      c.close();
    }
    // serverAuth only (another agent's certificate): OpenSSL's ssl_client purpose check already
    // fails the handshake.
    const so = agentClient(agent.grpcPort, creds(pki.serverOnlyCert, pki.serverOnlyKey));
    try {
      expect((await refusal(call(so, 'ListJobs', {}, 5000))).code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      so.close();
    }
  });

  it('a certificate from the CA with an unlisted identity is refused, for unary and streaming calls', async () => {
    const c = agentClient(agent.grpcPort, creds(pki.strangerCert, pki.strangerKey));
    try {
      const e = await expectDenied(call(c, 'ListJobs', {}), /not listed in the agent's clients/);
      expect(e.details).toContain('cn:stranger');
      await expectDenied(call(c, 'DestroySnapshot', { dataset: ds, snapName: 's1' }), /clients/);
      const w = (await watch(c, 'any').then(
        () => ({ code: -1 }),
        (err: grpc.ServiceError) => err,
      )) as grpc.ServiceError;
      expect(w.code).toBe(grpc.status.PERMISSION_DENIED);
    } finally {
      c.close();
    }
    expect((await call(operator, 'ListSnapshots', { dataset: ds })).snapshots.map((s: any) => s.name)).toContain('s1');
    // Refusals are audited.
    expect(agent.output.some((l) => l.includes('"call refused"') && l.includes('cn:stranger') && l.includes('"rpc":"DestroySnapshot"'))).toBe(true);
  });

  it('a reader may list backups, snapshots and jobs and verify, but not back up, restore, delete or cancel', async () => {
    const r = agentClient(agent.grpcPort, creds(pki.readerCert, pki.readerKey));
    try {
      expect((await call(r, 'ListBackups', { location: { name: 'default' } })).backups.length).toBe(1);
      expect((await call(r, 'ListSnapshots', { dataset: ds })).snapshots.length).toBeGreaterThan(0);
      const jobs = (await call(r, 'ListJobs', {})).jobs;
      expect(jobs.length).toBeGreaterThan(0);
      const v = await call(r, 'VerifyBackup', { location: { name: 'default' }, backupName: 's1', volumeName: vol });
      expect((await waitForJob(r, v.job.id)).phase).toBe('PHASE_DONE');
      await expectDenied(call(r, 'Backup', backupReq('s1', { location: { name: 'default' } })), /role reader.*role operator/);
      await expectDenied(call(r, 'Restore', { restoreName: 'x', volumeName: vol, backupName: 's1', targetDataset: `${root}/r`, location: { name: 'default' } }), /role reader/);
      await expectDenied(call(r, 'DeleteBackup', { location: { name: 'default' }, backupName: 's1', volumeName: vol }), /role reader/);
      await expectDenied(call(r, 'CancelJob', { jobId: jobs[0].id }), /role reader/);
      await expectDenied(call(r, 'CreateSnapshot', { dataset: ds, snapName: 'r1' }), /role reader/);
    } finally {
      r.close();
    }
    expect((await call(operator, 'ListBackups', { location: { name: 'default' } })).backups.length).toBe(1);
  });
});

describe.skipIf(!needs('zfs'))('secrets in failing locations', { timeout: 30_000 }, () => {
  it('never come back in the error or reach the agent log', async () => {
    const TOKEN = 'FwoGZXIvYXdzEXAMPLETOKEN-authz';
    const SIG = 'deadbeefSIGNATUREauthz';
    const UISK = 'userinfoSECRETauthz';
    const attempts: [string, Record<string, unknown>][] = [
      // An unknown parameter: the error lists the location, with the query's secrets masked.
      ['ListBackups', { location: { url: `s3://authz-bucket/cluster-a?endpoint=https://s3.example.invalid&X-Amz-Security-Token=${TOKEN}&X-Amz-Signature=${SIG}` } }],
      // Userinfo in the endpoint is refused outright, and not echoed.
      ['ListBackups', { location: { url: `s3://authz-bucket/cluster-a?endpoint=${encodeURIComponent(`http://AKIAUSERINFO:${UISK}@127.0.0.1:${baitPort}`)}` } }],
      ['Backup', backupReq('s1', { backupDest: `s3://authz-bucket/p?endpoint=http://AKID:${UISK}@127.0.0.1:${baitPort}` })],
      ['ListBackups', { location: { vsl: { config: { provider: 'aws', bucket: 'authz-bucket', region: 'us-east-1', s3Url: `https://AKID:${UISK}@127.0.0.1:${baitPort}`, DisableSSL: 'true' } } } }],
      ['ListBackups', { location: { url: `gs://authz-bucket/p?token=${TOKEN}` } }],
    ];
    for (const [method, req] of attempts) {
      const e = await refusal(call(operator, method, req));
      expect([grpc.status.INVALID_ARGUMENT, grpc.status.PERMISSION_DENIED], `${method} ${e.details}`).toContain(e.code);
      for (const s of [TOKEN, SIG, UISK, NODE_SK]) expect(e.details, `${method}: ${e.details}`).not.toContain(s);
      expect(e.message).not.toContain(TOKEN);
    }
    await new Promise((r) => setTimeout(r, 300));
    const logs = agent.output.join('\n');
    expect(logs).toContain('request failed');
    for (const s of [TOKEN, SIG, UISK, NODE_SK, NODE_AK]) expect(logs).not.toContain(s);
    expect(baitHits).toEqual([]);
  });
});

describe.skipIf(!needs('zfs'))('plaintext health port', { timeout: 120_000 }, () => {
  it('2,000 Watch streams are capped at connections x streams; RSS stays bounded and probes work after', async () => {
    const pid = agent.proc.pid!;
    const before = rssMiB(pid);
    // 200 connections x 10 streams, all opened before any is closed. Caps: 16 connections x 4 streams.
    const flood = await healthFlood(agent.healthPort, 200, 10);
    const during = rssMiB(pid);
    flood.close();
    console.log(`health flood: served=${flood.served} refused=${flood.refused} connected=${flood.connected} rss before=${before.toFixed(1)} MiB during=${during.toFixed(1)} MiB`);
    expect(flood.served).toBeGreaterThan(0);
    expect(flood.served).toBeLessThanOrEqual(16 * 4);
    expect(flood.refused).toBeGreaterThanOrEqual(2000 - 64);
    expect(during - before).toBeLessThan(40);
    // The cap frees up as the flood goes: a probe-like Check works again.
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      const probe = await healthFlood(agent.healthPort, 1, 1, 2000);
      probe.close();
      ok = probe.served === 1;
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ok).toBe(true);
    expect(agent.output.join('\n')).toContain('health port: connection cap reached');
  });
});
