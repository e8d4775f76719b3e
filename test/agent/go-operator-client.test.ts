import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, REPO, startAgentProcess } from './helpers/agent-process.js';
import { TEST_CLIENT_FLAGS, type TestPki, makeTestPki } from './helpers/make-certs.js';
import { fileHash, writeRandomFile } from './helpers/test-bed.js';
import { createDataset, destroyDataset, getTestEnv, needs, uniqueName } from '../helpers/test-env.js';

/**
 * The operator's language against the real agent: test/go/operator-client (Go, proto read at run
 * time with protocompile, grpc-go over mTLS) is built and run here. It calls Inventory,
 * CreateSnapshot, Backup + WatchJob, Restore + WatchJob, and decodes a refusal's ErrorInfo.
 * Go comes from $GO, else /usr/local/go/bin/go, else PATH; without one the test is skipped (and
 * fails under SNAPSTREAM_REQUIRE_INTEGRATION=1, as CI sets).
 */
const GO = [process.env.GO, '/usr/local/go/bin/go'].find((g) => g && existsSync(g)) ?? 'go';
function haveGo(): boolean {
  try {
    execFileSync(GO, ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const go = haveGo();
if (!go && process.env.SNAPSTREAM_REQUIRE_INTEGRATION === '1') throw new Error(`Go is required for ${path.basename(import.meta.url)} (set GO or install Go at /usr/local/go)`);

const env = getTestEnv();

describe.skipIf(!needs('zfs') || !go)('Go operator client (test/go/operator-client) against a real agent', () => {
  let pki: TestPki;
  let agent: AgentProcess;
  let root: string;
  let tmp: string;
  let bin: string;
  let store: string;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'snapstream-go-'));
    bin = path.join(tmp, 'operator-client');
    // Builds with the module proxy / module cache; go.sum pins every module.
    execFileSync(GO, ['build', '-o', bin, '.'], { cwd: path.join(REPO, 'test/go/operator-client'), stdio: 'pipe', timeout: 300_000, env: { ...process.env, GOFLAGS: '-mod=readonly' } });
    pki = makeTestPki();
    store = path.join(tmp, 'store');
    root = await createDataset(env.zfsPool!, uniqueName('goclient'));
    agent = await startAgentProcess([
      '--listen', '127.0.0.1:0', '--metrics-listen', '',
      '--tls-ca', pki.caFile, '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey,
      '--allowed-pool', root, '--node-name', 'go-node',
      ...TEST_CLIENT_FLAGS,
      '--allow-location', `file://${store}`,
    ]);
  }, 320_000);

  afterAll(async () => {
    await agent?.stop();
    if (root) await destroyDataset(root);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (pki) rmSync(pki.dir, { recursive: true, force: true });
  });

  it('Inventory, CreateSnapshot, Backup, WatchJob, Restore; a refusal carries ErrorInfo', async () => {
    const ds = await createDataset(root, 'pvc-go');
    const sha = writeRandomFile(ds, 'data.bin', 3);
    const out = execFileSync(
      bin,
      [
        '-proto', path.join(REPO, 'proto'),
        '-addr', `127.0.0.1:${agent.grpcPort}`,
        '-ca', pki.caFile, '-cert', pki.clientCert, '-key', pki.clientKey, '-server-name', 'localhost',
        '-dataset', ds, '-snap', 'go-backup-1', '-volume', 'pvc-go', '-target', `${root}/pvc-go-restored`,
        '-location', `file://${store}`,
        '-forbidden-dataset', `${env.zfsPool}/not-allowed`,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    const s = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, any>;
    expect(s.node).toBe('go-node');
    expect(s.datasetInInventory).toBe(true);
    expect(s.snapshotGuid).toMatch(/^\d+$/);
    expect(s.backupPhase).toBe('PHASE_DONE');
    expect(Number(s.backup.sizeBytes)).toBeGreaterThan(3 * 1024 * 1024);
    expect(s.restorePhase).toBe('PHASE_DONE');
    expect(s.restore.targetDataset).toBe(`${root}/pvc-go-restored`);
    expect(fileHash(`${root}/pvc-go-restored`, 'data.bin')).toBe(sha);
    expect(s.refusedStatus).toBe('PermissionDenied');
    expect(s.refusedReason).toBe('PERMISSION_DENIED');
    expect(s.refusedDomain).toBe('snapstream.io');
  });
});
