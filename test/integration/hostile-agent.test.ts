import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PART_BYTES } from '../../src/model/manifest.js';
import { type Client, type CallError, agentClient, call, waitForJob } from '../agent/helpers/agent-client.js';
import { type AgentProcess, startAgentProcess } from '../agent/helpers/agent-process.js';
import { type TestPki, TEST_CLIENT_FLAGS, makeTestPki } from '../agent/helpers/make-certs.js';
import { type ControllerProcess, startControllerProcess } from '../controller/helpers/controller-process.js';
import { type TestLocation, makeLocation } from '../helpers/core-fixture.js';
import { plantBackup, zfsBytes } from '../helpers/forge-backup.js';
import { createDataset, destroyDataset, getTestEnv, needs, uniqueName } from '../helpers/test-env.js';

/**
 * Hostile bucket contents against the real agent (mTLS) and controller processes, zfs-fuse and S3
 * (radosgw; SNAPSTREAM_TEST_HOSTILE_S3=swift for Swift's S3 API): a chain whose base declares huge
 * parts (issue 10, finding 7), a -p stream through the agent (finding 1), and a planted manifest
 * naming a manual snapshot (finding 2).
 */
const S3 = process.env.SNAPSTREAM_TEST_HOSTILE_S3 === 'swift' ? 'swift' : 's3';
const env = getTestEnv();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let pki: TestPki;
let agent: AgentProcess;
let client: Client;
let t: TestLocation;
let root: string;
let ds: string;
let tmp: string;
let awsEnv: NodeJS.ProcessEnv;

function zfs(...args: string[]): string {
  return execFileSync('zfs', args, { encoding: 'utf8' }).trim();
}

async function expectCode(p: Promise<unknown>, code: grpc.status, snapstreamCode: string): Promise<CallError> {
  const e = (await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err,
  )) as CallError;
  expect(e.code, e.message).toBe(code);
  expect(e.snapstreamCode).toBe(snapstreamCode);
  return e;
}

describe.skipIf(!needs('zfs', S3))('hostile bucket contents against the agent and controller', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    const ep = env[S3]!;
    awsEnv = { AWS_ACCESS_KEY_ID: ep.accessKeyId, AWS_SECRET_ACCESS_KEY: ep.secretAccessKey, AWS_REGION: ep.region };
    t = await makeLocation(S3 === 's3' ? 'radosgw' : 'swift');
    tmp = mkdtempSync(path.join(tmpdir(), 'snapstream-hagent-'));
    pki = makeTestPki();
    root = await createDataset(env.zfsPool!, uniqueName('hagent'));
    ds = await createDataset(root, 'pvc-h');
    agent = await startAgentProcess(
      ['--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', '--health-listen', '127.0.0.1:0', '--tls-ca', pki.caFile, '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--allowed-pool', root, ...TEST_CLIENT_FLAGS,
        // The test bucket only (any prefix), as a real deployment grants it.
        '--allow-location', `s3://${(t.loc.store as { bucket: string }).bucket}?endpoint=${encodeURIComponent(ep.endpoint)}`,
        '--memory-budget', '256Mi', '--node-name', 'node-hostile'],
      awsEnv,
    );
    client = agentClient(agent.grpcPort, grpc.credentials.createSsl(pki.read(pki.caFile), pki.read(pki.clientKey), pki.read(pki.clientCert)));
  }, 120_000);
  afterAll(async () => {
    client?.close();
    await agent?.stop();
    await t?.cleanup();
    if (root) await destroyDataset(root).catch(() => {});
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('a chain restore whose base declares 1 GiB parts is refused RESOURCE_EXHAUSTED up front, not admitted on the head\'s small parts', async () => {
    const base = 'huge-base';
    const head = 'small-head';
    // Manifests only: admission must account for the base before a byte is read.
    await plantBackup(t.store, t.loc.layout, base, 'pvc-c', undefined, {
      dataset: ds, snapshot: base, snapshotGuid: '11', size: 2 * MAX_PART_BYTES,
      parts: [{ n: 1, offset: 0, size: MAX_PART_BYTES, xxh64: '0000000000000000' }, { n: 2, offset: MAX_PART_BYTES, size: MAX_PART_BYTES, xxh64: '0000000000000000' }],
    });
    await plantBackup(t.store, t.loc.layout, head, 'pvc-c', Buffer.alloc(4096), { dataset: ds, snapshot: head, snapshotGuid: '22', previousSnapshot: base, previousSnapshotGuid: '11', previousBackup: base });
    const req = { restoreName: 'r-huge', volumeName: 'pvc-c', backupName: head, targetDataset: `${root}/r-huge`, restoreAllIncrementalSnapshots: true, location: { url: t.url } };
    const e = await expectCode(call(client, 'Restore', req), grpc.status.RESOURCE_EXHAUSTED, 'RESOURCE_EXHAUSTED');
    expect(e.details).toMatch(/needs 5\d{3} MiB of part buffers .* budget is 256 MiB/);
    expect(zfs('list', '-H', '-o', 'name', '-r', root)).not.toContain('r-huge');
  });

  it('a zfs send -p stream restored through the agent ends the job STREAM_REFUSED; nothing is received', async () => {
    const src = await createDataset(root, 'hsrc', { mountpoint: path.join(tmp, 'hostile-mp'), setuid: 'on', devices: 'on' });
    zfs('snapshot', `${src}@a`);
    const stream = await zfsBytes(['send', '-p', `${src}@a`]);
    await plantBackup(t.store, t.loc.layout, 'hostile-p', 'pvc-h', stream, { dataset: src, snapshot: 'a', snapshotGuid: zfs('get', '-H', '-p', '-o', 'value', 'guid', `${src}@a`) });
    const target = `${root}/r-hostile`;
    const res = await call(client, 'Restore', { restoreName: 'r-p', volumeName: 'pvc-h', backupName: 'hostile-p', targetDataset: target, location: { url: t.url } });
    const done = await waitForJob(client, res.job.id);
    expect(done.phase).toBe('PHASE_INVALID');
    expect(done.error.code).toBe('STREAM_REFUSED');
    expect(zfs('list', '-H', '-o', 'name', '-r', root)).not.toContain('r-hostile');
  });

  it('a planted manifest naming a manual snapshot: the controller never destroys it and reports it', async () => {
    zfs('snapshot', `${ds}@precious-manual`);
    const guid = zfs('get', '-H', '-p', '-o', 'value', 'guid', `${ds}@precious-manual`);
    const layout = { backupPathPrefix: 'ctl', prefix: '' };
    // At the key of an old scheduled backup of the schedule, with its schedule, volume and dataset.
    await plantBackup(t.store, layout, 'hsched-20260101000000', 'pvc-h', Buffer.from('x'), { schedule: 'hsched', dataset: ds, snapshot: 'precious-manual', snapshotGuid: guid });
    const ep = env[S3]!;
    const bucket = (t.loc.store as { bucket: string }).bucket;
    const configFile = path.join(tmp, 'snapstream.yaml');
    writeFileSync(
      configFile,
      [
        'apiVersion: snapstream.io/v1', 'kind: SnapstreamConfig', 'locations:',
        '  - name: main', '    provider: aws', `    bucket: ${bucket}`, `    region: ${ep.region}`, `    s3Url: ${ep.endpoint}`, '    s3ForcePathStyle: true', '    backupPathPrefix: ctl',
        'schedules:', '  - name: hsched', '    schedule: "@every 2s"', '    location: main', '    keepLast: 1', '    volumes:', '      - volume: pvc-h', `        dataset: ${ds}`,
      ].join('\n') + '\n',
    );
    let controller: ControllerProcess | undefined;
    try {
      controller = await startControllerProcess(
        ['--config', configFile, '--agent', `127.0.0.1:${agent.grpcPort}`, '--tls-ca', pki.caFile, '--tls-cert', pki.clientCert, '--tls-key', pki.clientKey, '--tls-server-name', 'localhost', '--metrics-listen', '127.0.0.1:0', '--retry-delay', '1s'],
        awsEnv,
      );
      let metrics = '';
      for (let i = 0; i < 80; i++) {
        metrics = await (await fetch(`http://127.0.0.1:${controller.metricsPort}/metrics`)).text();
        if (/snapstream_schedule_runs_total\{schedule="hsched",result="succeeded"\} [3-9]/.test(metrics)) break;
        await sleep(250);
      }
      expect(metrics).toMatch(/snapstream_schedule_runs_total\{schedule="hsched",result="succeeded"\} [3-9]/);
      expect(metrics).toMatch(/snapstream_schedule_snapshots_kept_total\{schedule="hsched",reason="foreign-name"\} [1-9]/);
      expect(zfs('list', '-H', '-o', 'name', '-t', 'snapshot', `${ds}@precious-manual`)).toBe(`${ds}@precious-manual`);
      expect(controller.logs.some((l) => l.snapshot === 'precious-manual' && /not destroying/.test(String(l.msg)))).toBe(true);
    } finally {
      await controller?.stop('SIGKILL');
    }
  });
});
