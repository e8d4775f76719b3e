import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, REPO, startAgentProcess } from './helpers/agent-process.js';
import { type CallError, type Client, agentClient, call, waitForJob } from './helpers/agent-client.js';
import { fileHash, writeRandomFile, zfs } from './helpers/test-bed.js';
import { createDataset, destroyDataset, getTestEnv, needs, uniqueName } from '../helpers/test-env.js';

/**
 * The agent with backup keys in its own config (docs/keys.md): ListBackups reports how each backup was
 * authenticated, Restore/VerifyBackup of an unsigned backup fail with FAILED_PRECONDITION and the
 * stable code UNAUTHENTICATED before any job runs, a signed one restores, and a key file that is not a
 * regular file keeps the agent from starting. Real agent process, zfs-fuse, a local-directory store.
 */
const BIN = path.join(REPO, 'bin/snapstream.js');
const env = getTestEnv();

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`snapstream ${args[0]} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(!needs('zfs'))('agent with backup keys', () => {
  let dir: string;
  let root: string;
  let ds: string;
  let agent: AgentProcess | undefined;
  let client: Client;
  let url: string;
  let aHash: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapstream-agentkeys-'));
    cli('keygen', '--out', dir);
    root = await createDataset(env.zfsPool!, uniqueName('agentkeys'));
    ds = await createDataset(root, 'pvc-k');
    aHash = writeRandomFile(ds, 'a.bin', 3);
    zfs('snapshot', `${ds}@s1`);
    url = `file://${path.join(dir, 'store')}`;
    await fs.mkdir(path.join(dir, 'store'));
    cli('backup', `${ds}@s1`, '--to', url, '--backup', 'signed1', '--volume', 'pvc-k', '-q', '--signing-key', path.join(dir, 'signing.pem'));
    cli('backup', `${ds}@s1`, '--to', url, '--backup', 'plain1', '--volume', 'pvc-k', '-q');
    const config = path.join(dir, 'agent.yaml');
    await fs.writeFile(
      config,
      [
        'listen: 127.0.0.1:0',
        'metricsListen: ""',
        'insecurePlaintext: true',
        `allowedPools: [${root}]`,
        `allowedLocations: ['${url}']`,
        'keys:',
        `  trustedKeyFiles: [${path.join(dir, 'signing.pub.pem')}]`,
        '',
      ].join('\n'),
    );
    agent = await startAgentProcess(['--config', config]);
    client = agentClient(agent.grpcPort, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await agent?.stop();
    if (root) await destroyDataset(root).catch(() => {});
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('lists each backup with its authentication', async () => {
    const r = await call(client, 'ListBackups', { location: { url }, volumeName: 'pvc-k' });
    const by = Object.fromEntries(r.backups.map((b: any) => [b.backup, b]));
    expect(by.signed1).toMatchObject({ authentication: 'signed', hashAlgorithm: 'sha256', encrypted: false });
    expect(by.signed1.signingKeyId).toMatch(/^[0-9a-f]{16}$/);
    expect(by.plain1).toMatchObject({ authentication: 'unsigned', signingKeyId: '', hashAlgorithm: 'xxh64' });
  });

  it('refuses to restore or verify an unsigned backup (FAILED_PRECONDITION / UNAUTHENTICATED), restores a signed one', async () => {
    const target = `${root}/restored`;
    for (const [method, req] of [
      ['Restore', { restoreName: 'r', volumeName: 'pvc-k', backupName: 'plain1', targetDataset: target, location: { url } }],
      ['VerifyBackup', { backupName: 'plain1', volumeName: 'pvc-k', location: { url } }],
    ] as const) {
      const e = (await call(client, method, req).then(() => undefined, (x: unknown) => x)) as CallError;
      expect(e?.code, method).toBe(grpc.status.FAILED_PRECONDITION);
      expect(e.snapstreamCode).toBe('UNAUTHENTICATED');
      expect(e.details).toMatch(/plain1 .* has no signature/);
    }
    expect(spawnSync('zfs', ['list', target]).status).not.toBe(0);
    const res = await call(client, 'Restore', { restoreName: 'r2', volumeName: 'pvc-k', backupName: 'signed1', targetDataset: target, location: { url } });
    const done = await waitForJob(client, res.job.id);
    expect(done.phase, JSON.stringify(done.error)).toBe('PHASE_DONE');
    expect(fileHash(target, 'a.bin')).toBe(aHash);
  });

  it('does not start with a key file that is not a regular file', async () => {
    const config = path.join(dir, 'bad.yaml');
    await fs.writeFile(config, ['listen: 127.0.0.1:0', 'metricsListen: ""', 'insecurePlaintext: true', `allowedPools: [${root}]`, 'keys:', '  trustedKeyFiles: [/dev/zero]', ''].join('\n'));
    await expect(startAgentProcess(['--config', config])).rejects.toThrow(/trusted key file \/dev\/zero is a device, not a regular file/);
  });
});
