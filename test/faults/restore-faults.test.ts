import { mkdtempSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateMultipartUploadCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, REPO, startAgentProcess } from '../agent/helpers/agent-process.js';
import { type Client, agentClient, call, waitForJob } from '../agent/helpers/agent-client.js';
import { listUploads } from '../agent/helpers/test-bed.js';
import {
  createBucket,
  createDataset,
  datasetMountpoint,
  destroyDataset,
  emptyAndDeleteBucket,
  getTestEnv,
  makeS3Client,
  needs,
  run,
  treeDigest,
  uniqueName,
  writeRandomFile,
} from '../helpers/test-env.js';
import { type CrashZfs, crashZfs } from './helpers/crash-zfs.js';

/**
 * The restore rows of issue 13's fault matrix, with real faults: a real agent process (and the
 * CLI, for forced restores, which the agent API does not offer) killed with SIGKILL at each phase
 * of a restore by a zfs wrapper that fires at an exact step, SIGTERM mid-transfer, and `zfs recv`
 * failing on a tiny pool that fills. Every row checks: nothing lost (a complete dataset under a
 * known name at every step), nothing half-received left or listed after recovery, a clear error,
 * and a retry that succeeds with the restored files byte-equal to the source.
 * Default run: a representative subset; SNAPSTREAM_FAULTS=full runs every row.
 */
const MiB = 1024 * 1024;
const FULL = process.env.SNAPSTREAM_FAULTS === 'full';
const itFull = FULL ? it : it.skip;
const env = getTestEnv();

let root: string;
let src: string;
let storeDir: string;
let url: string;
let crash: CrashZfs;
let agent: AgentProcess | undefined;
let client: Client | undefined;
/** Tree digests of the source at @s1 and @s2. */
let digestS1: string;
let digestS2: string;
let guids: Record<string, string>;
const extraPools: string[] = [];
/** Locations the agent is granted (issue 10's allowedLocations): the test's own store, and its bucket. */
const grantedLocations: string[] = [];

const snapstream = (...args: string[]) => run(process.execPath, [path.join(REPO, 'bin/snapstream.js'), ...args], { timeoutMs: 120_000 });

function zfsOut(...args: string[]): Promise<string> {
  return run('zfs', args, { timeoutMs: 30_000 }).then((r) => r.stdout.trim());
}

async function exists(ds: string): Promise<boolean> {
  return run('zfs', ['list', '-H', '-o', 'name', ds], { timeoutMs: 30_000 }).then(
    () => true,
    () => false,
  );
}

async function snapGuids(ds: string): Promise<Record<string, string>> {
  const out = await zfsOut('get', '-H', '-p', '-r', '-o', 'name,value', 'guid', ds);
  const r: Record<string, string> = {};
  for (const l of out.split('\n')) {
    const [n, v] = l.split('\t');
    if (n?.includes('@')) r[n.slice(n.indexOf('@') + 1)] = v!;
  }
  return r;
}

async function marker(ds: string): Promise<string> {
  return zfsOut('get', '-H', '-o', 'value', 'io.snapstream:restore', ds);
}

/** Every dataset under `root` (of `target` only, when given) whose name says snapstream staged or parked it. */
async function leftovers(target?: string, under = root): Promise<string[]> {
  const out = await zfsOut('list', '-H', '-r', '-o', 'name', under);
  return out.split('\n').filter((n) => /-snapstream-(restore|old)-[0-9a-f]{8}$/.test(n) && (!target || n.startsWith(`${target}-snapstream-`)));
}

/** Bounded wait (zfs-fuse discards a killed receive once its writer is gone). */
async function until(what: string, f: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startAgent(): Promise<{ recovery: any }> {
  agent = await startAgentProcess([
    '--listen', '127.0.0.1:0',
    '--metrics-listen', '',
    '--insecure-plaintext',
    '--allowed-pool', root,
    ...extraPools.flatMap((p) => ['--allowed-pool', p]),
    ...grantedLocations.flatMap((l) => ['--allow-location', l]),
    '--zfs-binary', crash.binary,
    '--recovery-grace', '3600',
    '--log-level', 'debug',
  ]);
  client = agentClient(agent.grpcPort);
  const line = agent.output.find((l) => l.includes('"start-up recovery pass"'));
  expect(line, agent.output.join('\n')).toBeDefined();
  return { recovery: JSON.parse(line!).recovery };
}

/** Waits for the agent killed by the wrapper to be gone; then starts a new one (its start-up pass runs). */
async function restartAfterCrash(): Promise<{ recovery: any }> {
  const code = await Promise.race([agent!.exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
  expect(code, 'the agent should have been killed').not.toBe('timeout');
  expect(agent!.proc.signalCode ?? code).toBe('SIGKILL');
  client?.close();
  crash.disarm();
  return startAgent();
}

function restoreReq(target: string, extra: Record<string, unknown> = {}) {
  return {
    restoreName: 'r',
    volumeName: 'v',
    targetDataset: target,
    backupName: 's2',
    restoreAllIncrementalSnapshots: true,
    restoreSrc: url,
    ...extra,
  };
}

async function restoreAndWait(req: Record<string, unknown>): Promise<any> {
  const res = await call(client!, 'Restore', req);
  return waitForJob(client!, res.job.id, 60_000);
}

/** The retried request succeeds and the target is byte-equal to the source, unmarked, without leftovers. */
async function expectRestored(target: string, job: any, digest = digestS2): Promise<void> {
  expect(job.phase, JSON.stringify(job.error)).toBe('PHASE_DONE');
  expect(await treeDigest(await datasetMountpoint(target))).toBe(digest);
  const g = await snapGuids(target);
  expect(g.s1).toBe(guids.s1);
  if (digest === digestS2) expect(g.s2).toBe(guids.s2);
  expect(await marker(target)).toBe('-');
  expect(await leftovers(target)).toEqual([]);
}

beforeAll(async () => {
  if (!needs('zfs')) return;
  root = await createDataset(env.zfsPool!, uniqueName('rfault'));
  src = await createDataset(root, 'src');
  const m = await datasetMountpoint(src);
  await writeRandomFile(path.join(m, 'a.bin'), 8 * MiB);
  await zfsOut('snapshot', `${src}@s1`);
  digestS1 = await treeDigest(m);
  await writeRandomFile(path.join(m, 'b.bin'), 4 * MiB);
  await zfsOut('snapshot', `${src}@s2`);
  digestS2 = await treeDigest(m);
  guids = await snapGuids(src);
  storeDir = mkdtempSync(path.join(tmpdir(), 'snapstream-rfault-'));
  url = `file://${storeDir}`;
  grantedLocations.push(url);
  await snapstream('backup', `${src}@s1`, '--to', url, '--volume', 'v', '-q');
  await snapstream('backup', `${src}@s2`, '--from', 's1', '--to', url, '--volume', 'v', '--previous-backup', 's1', '-q');
  crash = crashZfs();
  await startAgent();
}, 120_000);

// A failing row shows what the agent said (its JSON log) before and at the failure.
afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail' && agent) console.error(`agent output (last 40 lines):\n${agent.output.slice(-40).join('\n')}`);
});

afterAll(async () => {
  client?.close();
  await agent?.stop();
  if (root) await destroyDataset(root);
  crash?.cleanup();
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!needs('zfs'))('restore faults (real agent, real crashes)', { timeout: 90_000 }, () => {
  it('agent killed -9 during link 2 of a chain: recovery keeps the marked half, a different request is refused, the retry continues from link 2', async () => {
    const target = `${root}/link2`;
    crash.duringRecv(2, 2 * MiB);
    await call(client!, 'Restore', restoreReq(target)).catch(() => undefined);
    const { recovery } = await restartAfterCrash();
    // Link 1 fully received, marked as snapstream's unfinished restore; link 2 discarded.
    expect(Object.keys(await snapGuids(target))).toEqual(['s1']);
    expect(await marker(target)).toMatch(/^[0-9a-f]{16}$/);
    expect(recovery.datasets).toContainEqual(expect.objectContaining({ action: 'kept', dataset: target }));
    // Another request may not take it over without saying so.
    const other = await restoreAndWait(restoreReq(target, { idempotencyKey: 'someone-else' }));
    expect(other.phase).toBe('PHASE_FAILED');
    expect(other.error.code).toBe('ALREADY_EXISTS');
    expect(other.error.message).toMatch(/replacePartial/);
    // The operator's retry (same request) continues with link 2 only.
    const job = await restoreAndWait(restoreReq(target));
    await expectRestored(target, job);
    expect(job.restore.restoredBackups).toEqual(['s1', 's2']);
    expect(agent!.output.some((l) => l.includes('continuing the chain restore') && l.includes('"receivedLinks":1'))).toBe(true);
  });

  itFull('agent killed -9 during link 2: replacePartial lets another request continue it', async () => {
    const target = `${root}/link2b`;
    crash.duringRecv(2, 2 * MiB);
    await call(client!, 'Restore', restoreReq(target)).catch(() => undefined);
    await restartAfterCrash();
    const job = await restoreAndWait(restoreReq(target, { idempotencyKey: 'operator-2', replacePartial: true }));
    await expectRestored(target, job);
  });

  it('replacePartial never replaces a dataset snapstream did not leave (no marker): ALREADY_EXISTS, untouched', async () => {
    const target = await createDataset(root, 'users');
    writeFileSync(path.join(await datasetMountpoint(target), 'keep.txt'), 'mine');
    const before = await treeDigest(await datasetMountpoint(target));
    const job = await restoreAndWait(restoreReq(target, { replacePartial: true }));
    expect(job.phase).toBe('PHASE_FAILED');
    expect(job.error.code).toBe('ALREADY_EXISTS');
    expect(job.error.message).toMatch(/no io\.snapstream:restore marker/);
    expect(await treeDigest(await datasetMountpoint(target))).toBe(before);
  });

  itFull('agent killed -9 in init (before anything is received): nothing left, the retry succeeds', async () => {
    const target = `${root}/init`;
    crash.before(`^list -H -o name ${target.replace(/[.]/g, '\\.')}$`);
    // The crash may come before the reply: the call's outcome does not matter, the restart does.
    await call(client!, 'Restore', restoreReq(target)).catch(() => undefined);
    const { recovery } = await restartAfterCrash();
    expect(await exists(target)).toBe(false);
    expect(recovery.datasets.filter((d: any) => d.dataset.startsWith(target))).toEqual([]);
    await expectRestored(target, await restoreAndWait(restoreReq(target)));
  });

  itFull('agent killed -9 during link 1: zfs discards the partial stream, the retry starts over and succeeds', async () => {
    const target = `${root}/link1`;
    crash.duringRecv(1, 3 * MiB);
    await call(client!, 'Restore', restoreReq(target)).catch(() => undefined);
    await restartAfterCrash();
    await until(`${target} to be discarded`, async () => !(await exists(target)));
    await expectRestored(target, await restoreAndWait(restoreReq(target)));
  });

  itFull('SIGTERM during a restore: the job is cancelled, the half-received target removed, the retry succeeds', async () => {
    const target = `${root}/sigterm`;
    const res = await call(client!, 'Restore', restoreReq(target, { transfer: { rateLimitBytesPerSec: 4 * MiB } }));
    await until('bytes moving', async () => (await call(client!, 'GetJob', { jobId: res.job.id })).progress.bytes > 2 * MiB);
    client!.close();
    await agent!.stop('SIGTERM');
    expect(agent!.output.some((l) => l.includes('shutting down'))).toBe(true);
    await until(`${target} to be gone`, async () => !(await exists(target)));
    await startAgent();
    await expectRestored(target, await restoreAndWait(restoreReq(target)));
  });

  it('zfs recv failing (a tiny pool that fills): the job fails with the receive error, nothing is left, the retry after freeing space succeeds', async () => {
    const pool = uniqueName('sstiny');
    const img = path.join(tmpdir(), `${pool}.img`);
    await run('truncate', ['-s', '64M', img]);
    await run('zpool', ['create', '-f', pool, img], { timeoutMs: 60_000 });
    try {
      const filler = await createDataset(pool, 'filler');
      const avail = Number(await zfsOut('get', '-H', '-p', '-o', 'value', 'available', pool));
      await writeRandomFile(path.join(await datasetMountpoint(filler), 'fill.bin'), Math.max(1, avail - 4 * MiB));
      await run('sync', []);
      extraPools.push(pool);
      client!.close();
      await agent!.stop();
      await startAgent();
      const target = `${pool}/t`;
      const failed = await restoreAndWait(restoreReq(target));
      expect(failed.phase).toBe('PHASE_FAILED');
      expect(failed.error.code).toBe('ZFS_FAILED');
      expect(failed.error.message).toMatch(/zfs recv into .*t/);
      expect(failed.error.message).toMatch(/space|ENOSPC|quota/i);
      await until(`${target} to be gone`, async () => !(await exists(target)));
      expect(await leftovers(undefined, pool)).toEqual([]);
      await destroyDataset(filler);
      const job = await restoreAndWait(restoreReq(target));
      expect(job.phase, JSON.stringify(job.error)).toBe('PHASE_DONE');
      expect(await treeDigest(await datasetMountpoint(target))).toBe(digestS2);
      expect(await marker(target)).toBe('-');
    } finally {
      client!.close();
      await agent!.stop();
      extraPools.splice(0);
      for (let i = 0; i < 20; i++) {
        try {
          await run('zpool', ['destroy', '-f', pool], { timeoutMs: 60_000 });
          break;
        } catch (e) {
          if (/no such pool/.test(String(e))) break;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      rmSync(img, { force: true });
      await startAgent();
    }
  });
});

/** Forced restores (CLI only: the agent API has no force) killed -9 at each step of the swap. */
describe.skipIf(!needs('zfs'))('swap faults: one complete dataset under a known name at every instant', { timeout: 90_000 }, () => {
  /** A target holding @s1's content, as a user's existing dataset would. */
  async function existingTarget(name: string): Promise<string> {
    const target = `${root}/${name}`;
    await snapstream('restore', '--from', url, '--backup', 's1', '--volume', 'v', '--target', target, '-q');
    expect(await treeDigest(await datasetMountpoint(target))).toBe(digestS1);
    return target;
  }

  const forced = (target: string) => snapstream('restore', '--from', url, '--backup', 's2', '--volume', 'v', '--chain', '--force', '--target', target, '--zfs-binary', crash.binary, '-q');

  async function crashForcedRestore(target: string): Promise<void> {
    await expect(forced(target)).rejects.toThrow(/exited null|exited 137|killed/i);
    crash.disarm();
    // At this instant a complete dataset exists under the target's name or its parked name.
    const names = (await zfsOut('list', '-H', '-r', '-o', 'name', root)).split('\n');
    expect(names.some((n) => n === target || new RegExp(`^${target}-snapstream-old-[0-9a-f]{8}$`).test(n))).toBe(true);
  }

  async function recoverAndCheck(target: string, expectDigest: string): Promise<any> {
    client!.close();
    await agent!.stop();
    const { recovery } = await startAgent();
    expect(recovery.summary.failed).toBe(0);
    expect(await exists(target)).toBe(true);
    expect(await treeDigest(await datasetMountpoint(target))).toBe(expectDigest);
    // No parked old copy is left; a young staging copy may be (it could be another process's
    // running restore), reported as kept, and the retry below replaces its own.
    expect((await leftovers(target)).filter((n) => n.includes('-snapstream-old-'))).toEqual([]);
    for (const s of await leftovers(target)) expect(recovery.datasets).toContainEqual(expect.objectContaining({ action: 'kept', dataset: s }));
    expect(await marker(target)).toBe('-');
    expect(await zfsOut('get', '-H', '-o', 'value', 'io.snapstream:swap-old', target)).toBe('-');
    // A retried forced restore succeeds.
    await snapstream('restore', '--from', url, '--backup', 's2', '--volume', 'v', '--chain', '--force', '--target', target, '-q');
    expect(await treeDigest(await datasetMountpoint(target))).toBe(digestS2);
    expect(await leftovers(target)).toEqual([]);
    return recovery;
  }

  it('killed right after the old target was renamed aside: recovery finishes the swap with the complete staged copy', async () => {
    const target = await existingTarget('swap-parked');
    crash.after(`^rename ${target} ${target}-snapstream-old-[0-9a-f]{8}$`);
    await crashForcedRestore(target);
    expect(await exists(target)).toBe(false);
    const recovery = await recoverAndCheck(target, digestS2);
    expect(recovery.datasets).toContainEqual(expect.objectContaining({ action: 'renamed', to: target }));
    expect(recovery.datasets).toContainEqual(expect.objectContaining({ action: 'destroyed', dataset: expect.stringMatching(/-snapstream-old-/) }));
  });

  itFull('killed before the old target was renamed (marked only): recovery clears the marks, the target is unchanged, the retry replaces the staged copy', async () => {
    const target = await existingTarget('swap-before');
    crash.before(`^rename ${target} ${target}-snapstream-old-`);
    await crashForcedRestore(target);
    await recoverAndCheck(target, digestS1);
  });

  itFull('killed right after the staged copy was renamed in: recovery destroys the old copy and clears the marks', async () => {
    const target = await existingTarget('swap-in');
    crash.after(`^rename ${target}-snapstream-restore-[0-9a-f]{8} ${target}$`);
    await crashForcedRestore(target);
    await recoverAndCheck(target, digestS2);
  });

  it('a forced chain restore killed during link 2 leaves its staging copy mounted: kept while young, `snapstream cleanup` removes it after the grace, the target is unchanged', async () => {
    const target = await existingTarget('swap-link2');
    crash.duringRecv(2, 2 * MiB);
    await expect(snapstream('restore', '--from', url, '--backup', 's2', '--volume', 'v', '--chain', '--force', '--target', target, '--zfs-binary', crash.binary, '-q')).rejects.toThrow();
    crash.disarm();
    const [staging, ...more] = await leftovers(target);
    expect(more).toEqual([]);
    expect(staging).toMatch(new RegExp(`^${target}-snapstream-restore-[0-9a-f]{8}$`));
    expect(await zfsOut('get', '-H', '-o', 'value', 'mounted', staging!)).toBe('yes');
    await new Promise((r) => setTimeout(r, 1500));
    const report = JSON.parse((await snapstream('cleanup', '--dataset', root, '--older-than', '1s', '--json')).stdout);
    expect(report.datasets).toContainEqual(expect.objectContaining({ action: 'destroyed', dataset: staging }));
    expect(await leftovers(target)).toEqual([]);
    expect(await treeDigest(await datasetMountpoint(target))).toBe(digestS1);
    // The retry succeeds.
    await snapstream('restore', '--from', url, '--backup', 's2', '--volume', 'v', '--chain', '--force', '--target', target, '-q');
    expect(await treeDigest(await datasetMountpoint(target))).toBe(digestS2);
    expect(await leftovers(target)).toEqual([]);
  });

  itFull('a retried forced restore replaces the staging copy its own crashed attempt left', async () => {
    const target = await existingTarget('swap-retry');
    crash.duringRecv(2, 2 * MiB);
    await expect(forced(target)).rejects.toThrow();
    crash.disarm();
    expect((await leftovers(target)).length).toBe(1);
    await snapstream('restore', '--from', url, '--backup', 's2', '--volume', 'v', '--chain', '--force', '--target', target, '-q');
    expect(await treeDigest(await datasetMountpoint(target))).toBe(digestS2);
    expect(await leftovers(target)).toEqual([]);
  });
});

describe.skipIf(!needs('zfs'))('cleanup touches only what snapstream made', { timeout: 60_000 }, () => {
  it('a dataset named like a staging copy but without the marker, and a user property lookalike on another name, are left alone', async () => {
    // A staging-like name with only part of the markers (no restore id): not provably ours.
    const lookalike = await createDataset(root, 'data-snapstream-restore-deadbeef', { 'io.snapstream:restore-state': 'complete' });
    const foreign = await createDataset(root, 'foreign-snapstream-old-0badf00d', { 'io.snapstream:swap-old': `${root}/somewhere-else` });
    const r = await snapstream('cleanup', '--dataset', root, '--older-than', '1s', '--json');
    const report = JSON.parse(r.stdout);
    const named = report.datasets.map((d: any) => d.dataset);
    expect(named).not.toContain(lookalike);
    expect(named).not.toContain(foreign);
    expect(await exists(lookalike)).toBe(true);
    expect(await exists(foreign)).toBe(true);
    await destroyDataset(lookalike);
    await destroyDataset(foreign);
  });

  it('local store: a temp file older than the grace is removed and named, a young one kept (CLI, --dry-run first)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'snapstream-cleanup-'));
    try {
      const old = path.join(dir, 'backups', 'b', '.v-b.snapstream-partial-0123456789ab');
      const young = path.join(dir, 'backups', 'c', '.v-c.snapstream-partial-ba9876543210');
      const userFile = path.join(dir, 'backups', 'b', 'v-b.partial-of-mine');
      for (const f of [old, young, userFile]) {
        await run('mkdir', ['-p', path.dirname(f)]);
        writeFileSync(f, 'x');
      }
      const past = new Date(Date.now() - 2 * 3600 * 1000);
      utimesSync(old, past, past);
      utimesSync(userFile, past, past);
      const dry = JSON.parse((await snapstream('cleanup', `file://${dir}`, '--older-than', '1h', '--dry-run', '--json')).stdout);
      expect(dry.store).toEqual([expect.objectContaining({ kind: 'upload', key: 'backups/b/.v-b.snapstream-partial-0123456789ab', action: 'would-remove' })]);
      expect(existsSync(old)).toBe(true);
      const out = (await snapstream('cleanup', `file://${dir}`, '--older-than', '1h')).stdout;
      expect(out).toMatch(/removed\s+upload backups\/b\/\.v-b\.snapstream-partial-0123456789ab/);
      expect(out).toMatch(/1 upload\(s\)/);
      expect(existsSync(old)).toBe(false);
      expect(existsSync(young)).toBe(true);
      expect(existsSync(userFile)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(['s3', 'swift'] as const)('Cleanup RPC on an S3 store (%s)', (server) => {
  let s3: S3Client;
  let bucket: string;
  const ep = () => env[server]!;
  beforeAll(async () => {
    if (!needs('zfs', server)) return;
    s3 = makeS3Client(ep());
    bucket = uniqueName('rclean');
    await createBucket(ep(), bucket);
    // The agent takes store credentials from its environment (the SDK's default chain).
    client!.close();
    await agent!.stop();
    process.env.AWS_ACCESS_KEY_ID = ep().accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = ep().secretAccessKey;
    process.env.AWS_REGION = ep().region;
    grantedLocations.push(`s3://${bucket}?endpoint=${encodeURIComponent(ep().endpoint)}`);
    await startAgent();
  });
  afterAll(async () => {
    s3?.destroy();
    if (bucket) await emptyAndDeleteBucket(ep(), bucket).catch(() => {});
  });

  it.skipIf(!needs('zfs', server))('aborts unfinished uploads older than the grace, keeps one a fresh progress record names (resumable) and young ones; dry run changes nothing', { timeout: 60_000 }, async () => {
    const mk = (Key: string) => s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    await mk('c/backups/b1/v-b1');
    await mk('c/backups/b2/v-b2');
    await mk('elsewhere/backups/x/v-x'); // another location in the same bucket: not this cleanup's business
    await new Promise((r) => setTimeout(r, 8000));
    const youngSince = Date.now();
    await mk('c/backups/b3/v-b3');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'c/backups/b2/v-b2.snapstream-progress.json', Body: '{}' }));
    // The grace is set from what has elapsed, not fixed: on a loaded machine the calls above can take
    // seconds, and a fixed 2 s grace then aged the young upload and the fresh record past it. b3 and
    // the record stay >= 4 s inside the grace, b1 and b2 >= 3 s outside it, whatever the load.
    const grace = () => Math.ceil((Date.now() - youngSince) / 1000) + 4;
    const loc = { url: `s3://${bucket}/c?endpoint=${encodeURIComponent(ep().endpoint)}&region=${ep().region}&forcePathStyle=true` };
    const dry = await call(client!, 'Cleanup', { location: loc, olderThanSeconds: grace(), dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.uploadsRemoved).toBe(0);
    expect(dry.entries).toContainEqual(expect.objectContaining({ kind: 'upload', name: 'c/backups/b1/v-b1', action: 'would-remove' }));
    expect((await listUploads(s3, bucket)).length).toBe(4);
    const res = await call(client!, 'Cleanup', { location: loc, olderThanSeconds: grace() });
    expect(res.uploadsRemoved).toBe(1);
    expect(res.entries).toContainEqual(expect.objectContaining({ kind: 'upload', name: 'c/backups/b1/v-b1', action: 'removed' }));
    expect(res.entries).toContainEqual(expect.objectContaining({ kind: 'upload', name: 'c/backups/b2/v-b2', action: 'kept' }));
    expect((await listUploads(s3, bucket)).map((u) => u.key).sort()).toEqual(['c/backups/b2/v-b2', 'c/backups/b3/v-b3', 'elsewhere/backups/x/v-x']);
    // Nothing to clean is a clear error, not a silent no-op.
    await expect(call(client!, 'Cleanup', {})).rejects.toMatchObject({ snapstreamCode: 'INVALID_ARGUMENT' });
    // Cleanup deletes: a location the agent is not granted, or a dataset outside its pools, is refused.
    const other = { url: `s3://not-granted-${bucket}/c?endpoint=${encodeURIComponent(ep().endpoint)}&region=${ep().region}&forcePathStyle=true` };
    await expect(call(client!, 'Cleanup', { location: other, olderThanSeconds: 1 })).rejects.toMatchObject({ snapstreamCode: 'PERMISSION_DENIED' });
    await expect(call(client!, 'Cleanup', { dataset: `${env.zfsPool}`, olderThanSeconds: 1 })).rejects.toMatchObject({ snapstreamCode: 'PERMISSION_DENIED' });
  });
});
