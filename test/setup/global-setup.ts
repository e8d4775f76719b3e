/**
 * vitest globalSetup of the integration tier: brings up zfs-fuse pool, Ceph radosgw, Swift+s3api and
 * the GCS emulator (in parallel), provides `testEnv`, and tears down only what it started.
 * The contract is documented at the top of test/helpers/test-env.ts.
 *
 * Runs in vitest's main process (not a test worker): no `vitest` runtime imports here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { GcsEmulator, Part, S3Endpoint, TestEnv } from '../helpers/test-env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPTS = path.join(ROOT, 'scripts/test-env');
const POOL_BYTES = 6 * 1024 ** 3;
const CEPH_MEM_BYTES = 3 * 1024 ** 3;
/** Temp dirs we make are named so; each holds owner.pid so a later run can clean up after a crash. */
const DIR_PREFIX = 'sstest-';

type Teardown = () => Promise<void>;
interface Started<T> {
  value: T;
  teardown?: Teardown;
  /** What to print about it (e.g. "started in 14.2 s"). */
  note: string;
}

const log = (msg: string) => process.stderr.write(`[test-env] ${msg}\n`);
const secs = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------------------------------------------
// small process helpers (argument arrays only)

interface RunOut {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], timeoutMs: number): Promise<RunOut> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(timed out after ${timeoutMs / 1000} s; killed)`;
      p.kill('SIGKILL');
    }, timeoutMs);
    p.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: `${stderr}${e.message}` });
    });
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function mustRun(cmd: string, args: readonly string[], timeoutMs: number): Promise<string> {
  const r = await run(cmd, args, timeoutMs);
  if (r.code !== 0) throw new Error(`\`${cmd} ${args.join(' ')}\` exited ${r.code}:\n${tail(r.stderr || r.stdout, 30)}`);
  return r.stdout;
}

function tail(s: string, lines: number): string {
  return s.trimEnd().split('\n').slice(-lines).join('\n');
}

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(':').some((d) => d && existsSync(path.join(d, bin)));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await sleep(200);
  }
  return !alive(pid);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** n distinct free loopback ports (all held open at once so none repeats, then released). */
async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      await new Promise<void>((res, rej) => s.once('error', rej).listen(0, '127.0.0.1', () => res()));
      servers.push(s);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  }
}

async function makeRunDir(kind: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `${DIR_PREFIX}${kind}-`));
  await writeFile(path.join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

// ---------------------------------------------------------------------------------------------------
// leftovers of crashed runs: our temp dirs whose owner process is gone, and sstest* pools whose
// backing file is gone. Dirs of live runs (another developer's) are left alone.

async function cleanLeftovers(): Promise<void> {
  let names: string[] = [];
  try {
    names = await readdir(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^sstest-(ceph|swift|zfs|zfsd|gcs)-/.exec(name);
    if (!m) continue;
    const dir = path.join(tmpdir(), name);
    let owner = NaN;
    try {
      owner = Number(readFileSync(path.join(dir, 'owner.pid'), 'utf8'));
    } catch {
      continue; // not fully made, or not ours
    }
    if (!Number.isInteger(owner) || alive(owner)) continue;
    // zfsd: a zfs-fuse daemon a dead run started; other runs may be using it by now, so it stays.
    if (m[1] !== 'zfsd') log(`cleaning up ${dir} left by dead run ${owner}`);
    if (m[1] === 'ceph') await run('bash', [path.join(SCRIPTS, 'ceph-down.sh'), path.join(dir, 'c')], 60_000);
    if (m[1] === 'swift') await run('bash', [path.join(SCRIPTS, 'swift-down.sh'), path.join(dir, 's')], 60_000);
    if (m[1] === 'zfs') {
      try {
        const pool = readFileSync(path.join(dir, 'pool.name'), 'utf8').trim();
        if (/^sstest[0-9a-f]+$/.test(pool)) await run('zpool', ['destroy', '-f', pool], 60_000);
      } catch {
        /* no pool was made */
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
}

async function destroyOrphanPools(): Promise<void> {
  const list = await run('zpool', ['list', '-H', '-o', 'name'], 30_000);
  if (list.code !== 0) return;
  for (const pool of list.stdout.split('\n').map((s) => s.trim())) {
    if (!/^sstest[0-9a-f]+$/.test(pool)) continue;
    const st = await run('zpool', ['status', pool], 30_000);
    const files = [...st.stdout.matchAll(/^\s+(\/\S+)\s/gm)].map((x) => x[1]!);
    if (files.length > 0 && files.every((f) => !existsSync(f))) {
      log(`destroying orphan pool ${pool} (backing file ${files.join(', ')} is gone)`);
      await run('zpool', ['destroy', '-f', pool], 60_000);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// components

async function upZfs(): Promise<Started<{ pool: string; mount: string }>> {
  const given = process.env.SNAPSTREAM_TEST_ZFS_POOL;
  if (given) {
    await mustRun('zpool', ['list', '-H', given], 30_000);
    const mount = (await mustRun('zfs', ['get', '-H', '-o', 'value', 'mountpoint', given], 30_000)).trim();
    return { value: { pool: given, mount }, note: `reusing pool ${given} (SNAPSTREAM_TEST_ZFS_POOL)` };
  }
  const t0 = performance.now();
  const teardowns: Teardown[] = [];
  const teardown = async () => {
    for (const t of teardowns.reverse()) await t().catch((e) => log(`zfs teardown: ${(e as Error).message}`));
  };
  try {
    let note = '';
    if (!onPath('zpool')) throw new Error('`zpool` not found (apt-get install zfs-fuse)');
    const probe = await run('zpool', ['list'], 30_000);
    if (probe.code !== 0) {
      if (!onPath('zfs-fuse')) throw new Error(`\`zpool list\` fails (${probe.stderr.trim()}) and zfs-fuse is not installed`);
      const dir = await makeRunDir('zfsd');
      const pidFile = path.join(dir, 'zfs-fuse.pid');
      // zfs-fuse daemonizes: the command returns once the daemon is forked.
      await mustRun('zfs-fuse', ['--pidfile', pidFile], 30_000);
      const end = Date.now() + 30_000;
      while ((await run('zpool', ['list'], 10_000)).code !== 0) {
        if (Date.now() > end) throw new Error('zfs-fuse started but `zpool list` still fails after 30 s');
        await sleep(250);
      }
      const pid = Number(readFileSync(pidFile, 'utf8'));
      note = `started zfs-fuse (pid ${pid}); `;
      teardowns.push(async () => {
        process.kill(pid, 'SIGTERM');
        if (!(await waitGone(pid, 20_000))) {
          log(`zfs-fuse ${pid} did not exit after SIGTERM; killing it`);
          process.kill(pid, 'SIGKILL');
          await waitGone(pid, 5_000);
        }
        await rm(dir, { recursive: true, force: true });
      });
    }
    await destroyOrphanPools();
    const dir = await makeRunDir('zfs');
    teardowns.push(() => rm(dir, { recursive: true, force: true }));
    const pool = `sstest${randomBytes(4).toString('hex')}`;
    const img = path.join(dir, 'pool.img');
    const mount = path.join(dir, 'mnt');
    const fh = await open(img, 'w');
    await fh.truncate(POOL_BYTES); // sparse: costs only what the tests write
    await fh.close();
    await mkdir(mount);
    await writeFile(path.join(dir, 'pool.name'), pool);
    await mustRun('zpool', ['create', '-f', '-m', mount, pool, img], 60_000);
    teardowns.push(async () => {
      // "pool is busy" can happen right after a test's last zfs command; try a few times.
      for (let i = 0; ; i++) {
        const r = await run('zpool', ['destroy', '-f', pool], 60_000);
        if (r.code === 0) return;
        if (i >= 4) throw new Error(`zpool destroy ${pool}: ${r.stderr.trim()}`);
        await sleep(1000);
      }
    });
    return { value: { pool, mount }, teardown, note: `${note}pool ${pool} ready in ${secs(t0)}` };
  } catch (e) {
    await teardown();
    throw e;
  }
}

function s3FromEnv(prefix: 'S3' | 'SWIFT', name: S3Endpoint['name'], key: string, secret: string): S3Endpoint | undefined {
  const endpoint = process.env[`SNAPSTREAM_TEST_${prefix}_ENDPOINT`];
  if (!endpoint) return undefined;
  return {
    endpoint,
    region: process.env[`SNAPSTREAM_TEST_${prefix}_REGION`] ?? 'us-east-1',
    accessKeyId: process.env[`SNAPSTREAM_TEST_${prefix}_KEY`] ?? key,
    secretAccessKey: process.env[`SNAPSTREAM_TEST_${prefix}_SECRET`] ?? secret,
    name,
  };
}

/** Any HTTP answer counts (S3 servers answer 403 to anonymous requests). */
async function reachable(url: string): Promise<void> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await r.arrayBuffer();
  } catch (e) {
    throw new Error(`${url} is not reachable: ${(e as Error).message}`);
  }
}

/** Runs an up-script whose last stdout line is "READY <url> ..."; the down-script undoes it. */
async function runUpScript(kind: 'ceph' | 'swift', sub: string, args: string[], timeoutMs: number) {
  const dir = await makeRunDir(kind);
  const state = path.join(dir, sub);
  const down: Teardown = async () => {
    const r = await run('bash', [path.join(SCRIPTS, `${kind}-down.sh`), state], 120_000);
    if (r.code !== 0) log(`${kind}-down.sh: ${tail(r.stderr, 10)}`);
    await rm(dir, { recursive: true, force: true });
  };
  const r = await run('bash', [path.join(SCRIPTS, `${kind}-up.sh`), state, ...args], timeoutMs);
  const url = /^READY (\S+)/m.exec(r.stdout)?.[1];
  if (r.code !== 0 || !url) {
    await down();
    throw new Error(`${kind}-up.sh exited ${r.code}:\n${tail(r.stderr, 40)}`);
  }
  return { url, teardown: down };
}

async function upRadosgw(): Promise<Started<S3Endpoint>> {
  const given = s3FromEnv('S3', 'radosgw', 'TESTAK', 'TESTSK');
  if (given) {
    await reachable(given.endpoint);
    return { value: given, note: `reusing ${given.endpoint} (SNAPSTREAM_TEST_S3_ENDPOINT)` };
  }
  const missing = ['radosgw', 'ceph-mon', 'ceph-osd', 'monmaptool'].filter((b) => !onPath(b));
  if (missing.length) throw new Error(`not installed: ${missing.join(', ')} (apt-get install radosgw ceph-mon ceph-osd)`);
  const t0 = performance.now();
  const [rgwPort, monPort] = await freePorts(2);
  const { url, teardown } = await runUpScript('ceph', 'c', [String(rgwPort), String(monPort), String(CEPH_MEM_BYTES)], 300_000);
  return {
    value: { endpoint: url, region: 'us-east-1', accessKeyId: 'TESTAK', secretAccessKey: 'TESTSK', name: 'radosgw' },
    teardown,
    note: `started on ${url} in ${secs(t0)}`,
  };
}

async function upSwift(): Promise<Started<S3Endpoint>> {
  const given = s3FromEnv('SWIFT', 'swift', 'test:tester', 'testing');
  if (given) {
    await reachable(given.endpoint);
    return { value: given, note: `reusing ${given.endpoint} (SNAPSTREAM_TEST_SWIFT_ENDPOINT)` };
  }
  const missing = ['swift-proxy-server', 'swift-object-server', 'swift-container-server', 'swift-account-server'].filter(
    (b) => !onPath(b),
  );
  if (missing.length) {
    throw new Error(`not installed: ${missing.join(', ')} (apt-get install swift-proxy swift-account swift-container swift-object)`);
  }
  const t0 = performance.now();
  const ports = (await freePorts(5)).map(String);
  const { url, teardown } = await runUpScript('swift', 's', ports, 180_000);
  return {
    value: { endpoint: url, region: 'us-east-1', accessKeyId: 'test:tester', secretAccessKey: 'testing', name: 'swift' },
    teardown,
    note: `started on ${url} in ${secs(t0)}${onPath('memcached') ? '' : ' (no memcached: slower)'}`,
  };
}

async function upGcs(): Promise<Started<GcsEmulator>> {
  const projectId = process.env.SNAPSTREAM_TEST_GCS_PROJECT ?? 'demo-test';
  const given = process.env.SNAPSTREAM_TEST_GCS_HOST;
  if (given) {
    await reachable(given);
    return { value: { emulatorHost: given, projectId }, note: `reusing ${given} (SNAPSTREAM_TEST_GCS_HOST)` };
  }
  if (!existsSync(path.join(ROOT, 'test/servers/gcs-emulator/node_modules/firebase-tools/package.json'))) {
    throw new Error('firebase-tools is not installed: run `npm ci --prefix test/servers/gcs-emulator`');
  }
  const t0 = performance.now();
  const [port] = await freePorts(1);
  const dir = await makeRunDir('gcs');
  // Own TMPDIR: the emulator keeps blobs in os.tmpdir()/firebase/storage/blobs and deletes that
  // whole directory when it stops, which would hit any other emulator on the machine.
  const child = spawn(process.execPath, [path.join(SCRIPTS, 'gcs-emulator.cjs')], {
    env: { ...process.env, PORT: String(port), PROJECT: projectId, TMPDIR: dir, EXIT_ON_STDIN_END: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stop: Teardown = async () => {
    await stopChild(child, 15_000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const url = await waitReady(child, 90_000);
    return { value: { emulatorHost: url, projectId }, teardown: stop, note: `started on ${url} in ${secs(t0)}` };
  } catch (e) {
    await stop();
    throw e;
  }
}

function waitReady(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /^READY (\S+)/m.exec(out);
      if (m) {
        cleanup();
        resolve(m[1]!);
      }
      if (out.length > 64 * 1024) out = out.slice(-32 * 1024);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`gcs emulator exited ${code} before it was ready:\n${tail(out, 30)}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`gcs emulator not ready after ${timeoutMs / 1000} s:\n${tail(out, 30)}`));
    }, timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      // Keep draining so a chatty emulator never blocks on a full pipe.
      child.stdout!.resume();
      child.stderr!.resume();
    }
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(t);
}

// ---------------------------------------------------------------------------------------------------

function requested(): Set<Part> {
  const all: Part[] = ['zfs', 's3', 'swift', 'gcs'];
  const only = process.env.SNAPSTREAM_TEST_ONLY;
  if (!only) return new Set(all);
  const parts = only.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of parts) if (!all.includes(p as Part)) throw new Error(`SNAPSTREAM_TEST_ONLY: unknown part "${p}" (use ${all.join(',')})`);
  return new Set(parts as Part[]);
}

function banner(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length), 60);
  const bar = '!'.repeat(width + 4);
  return ['', bar, ...lines.map((l) => `! ${l.padEnd(width)} !`), bar, ''].join('\n');
}

export default async function setup(project: TestProject): Promise<Teardown> {
  const t0 = performance.now();
  const want = requested();
  const required = process.env.SNAPSTREAM_REQUIRE_INTEGRATION === '1';
  await cleanLeftovers();

  const env: TestEnv = { missing: [] };
  const teardowns: Teardown[] = [];
  const failures: string[] = [];
  const notes: string[] = [];

  const attempt = async <T>(part: Part, label: string, up: () => Promise<Started<T>>, use: (v: T) => void) => {
    if (!want.has(part)) {
      env.missing.push(`${part}: not requested (SNAPSTREAM_TEST_ONLY=${process.env.SNAPSTREAM_TEST_ONLY})`);
      return;
    }
    try {
      const s = await up();
      use(s.value);
      if (s.teardown) teardowns.push(s.teardown);
      notes.push(`${label}: ${s.note}`);
    } catch (e) {
      const reason = `${part} (${label}): ${(e as Error).message}`;
      env.missing.push(reason);
      failures.push(reason);
    }
  };

  log('bringing up zfs pool, radosgw, swift, gcs emulator (in parallel)...');
  await Promise.all([
    attempt('zfs', 'zfs-fuse', upZfs, (v) => {
      env.zfsPool = v.pool;
      env.zfsMount = v.mount;
    }),
    attempt('s3', 'radosgw', upRadosgw, (v) => (env.s3 = v)),
    attempt('swift', 'swift+s3api', upSwift, (v) => (env.swift = v)),
    attempt('gcs', 'gcs emulator', upGcs, (v) => (env.gcs = v)),
  ]);
  for (const n of notes) log(n);
  log(`test environment ready in ${secs(t0)}`);

  const teardown: Teardown = async () => {
    const t1 = performance.now();
    // In parallel: each component's teardown is independent of the others.
    const results = await Promise.allSettled(teardowns.map((t) => t()));
    for (const r of results) if (r.status === 'rejected') log(`teardown failed: ${(r.reason as Error).message}`);
    log(`test environment torn down in ${secs(t1)}`);
  };

  if (failures.length > 0) {
    if (required) {
      await teardown();
      throw new Error(
        `SNAPSTREAM_REQUIRE_INTEGRATION=1 and ${failures.length} component(s) did not come up:\n${failures.join('\n\n')}`,
      );
    }
    process.stderr.write(
      banner([
        'INTEGRATION ENVIRONMENT INCOMPLETE: tests that need these parts will be SKIPPED',
        ...failures.flatMap((f) => f.split('\n').slice(0, 6)),
        'Install/start them (see .ci/run), or set SNAPSTREAM_REQUIRE_INTEGRATION=1 to fail instead.',
      ]),
    );
  }
  project.provide('testEnv', env);
  return teardown;
}
