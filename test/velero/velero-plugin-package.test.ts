import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVeleroProtos } from '../../src/velero/velero-proto.js';
import { REPO, ensureBuilt } from '../agent/helpers/agent-process.js';

/**
 * The packaged plugin (scripts/build-velero-plugin.mjs: Node single executable + libstdc++ and
 * libgcc_s) run as Velero's image would run it: the system's copies of those two libraries are
 * hidden (bind-mounted over with /dev/null in a private mount namespace), LD_LIBRARY_PATH points at
 * the plugin directory, and it must still handshake, answer health/ListPlugins and shut down.
 */
let out: string;
let proc: ChildProcess | undefined;
const systemLibs = ['libstdc++.so.6', 'libgcc_s.so.1']
  .map((l) => path.join('/lib/x86_64-linux-gnu', l))
  .filter((f) => existsSync(f))
  .map((f) => realpathSync(f));

beforeAll(() => {
  ensureBuilt();
  out = mkdtempSync(path.join(tmpdir(), 'snapstream-sea-'));
  execFileSync(process.execPath, [path.join(REPO, 'scripts/build-velero-plugin.mjs'), out], { cwd: REPO, stdio: 'pipe', timeout: 300_000 });
}, 300_000);

afterAll(() => {
  if (proc && proc.exitCode === null) proc.kill('SIGKILL');
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('packaged Velero plugin (single executable)', () => {
  it('is one executable plus non-executable libraries', () => {
    const files = readdirSync(out).sort();
    expect(files).toEqual(['BUILD.json', 'libgcc_s.so.1', 'libstdc++.so.6', 'snapstream-velero-plugin']);
    const execs = files.filter((f) => (statSync(path.join(out, f)).mode & 0o111) !== 0);
    // Velero's discovery runs every file with an exec bit: only the plugin may have one.
    expect(execs).toEqual(['snapstream-velero-plugin']);
    const report = JSON.parse(readFileSync(path.join(out, 'BUILD.json'), 'utf8')) as { bytes: number; seconds: number };
    console.info(`velero plugin executable: ${(report.bytes / 1024 / 1024).toFixed(1)} MiB, built in ${report.seconds.toFixed(1)} s`);
  });

  it('runs with the system libstdc++/libgcc_s hidden, handshakes, serves health and ListPlugins, shuts down', async () => {
    const exe = path.join(out, 'snapstream-velero-plugin');
    const mounts = systemLibs.map((f) => `mount --bind /dev/null '${f}'`).join(' && ');
    // The plugin is exec'd by sh inside the namespace so the bind mounts apply to it; the flags are
    // the ones Velero appends.
    proc = spawn('unshare', ['-m', 'sh', '-c', `${mounts} && exec "$0" --log-level debug --features=EnableCSI --unknown-flag x`, exe], {
      env: { ...process.env, VELERO_PLUGIN: 'hello', PLUGIN_PROTOCOL_VERSIONS: '2', LD_LIBRARY_PATH: out, SNAPSTREAM_VELERO_PLUGIN_NAMES: 'openebs' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => proc!.once('exit', (c) => r(c)));
    const line = await new Promise<string>((resolve, reject) => {
      proc!.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0]!);
      });
      void exited.then((c) => reject(new Error(`plugin exited ${c} before the handshake:\n${stderr}`)));
      setTimeout(() => reject(new Error(`no handshake in 30 s:\n${stderr}`)), 30_000).unref();
    });
    const m = /^1\|2\|unix\|(\/[^|]+)\|grpc$/.exec(line);
    expect(m, line).not.toBeNull();
    const protos = loadVeleroProtos();
    const Health = grpc.makeGenericClientConstructor(protos.health, 'Health');
    const target = `unix:${m![1]}`;
    const health = new Health(target, grpc.credentials.createInsecure()) as unknown as Record<string, (req: unknown, cb: (e: Error | null, r: unknown) => void) => void> & grpc.Client;
    const status = await new Promise<unknown>((res, rej) => health.Check!({ service: 'plugin' }, (e, r) => (e ? rej(e) : res(r))));
    expect(status).toEqual({ status: 'SERVING' });
    const lister = new protos.clients.PluginLister(target, grpc.credentials.createInsecure()) as unknown as Record<string, (req: unknown, cb: (e: Error | null, r: { plugins: { name: string; kind: string }[] }) => void) => void> & grpc.Client;
    const listed = await new Promise<{ plugins: { name: string; kind: string }[] }>((res, rej) => lister.ListPlugins!({}, (e, r) => (e ? rej(e) : res(r))));
    expect(listed.plugins.map((p) => `${p.kind} ${p.name}`)).toEqual(['VolumeSnapshotter openebs.io/cstor-blockstore', 'VolumeSnapshotter openebs.io/zfspv-blockstore']);
    const Controller = grpc.makeGenericClientConstructor(protos.controller, 'GRPCController');
    const ctl = new Controller(target, grpc.credentials.createInsecure()) as unknown as Record<string, (req: unknown, cb: (e: Error | null) => void) => void> & grpc.Client;
    await new Promise<void>((res, rej) => ctl.Shutdown!({}, (e) => (e ? rej(e) : res())));
    for (const c of [health, lister, ctl]) c.close();
    expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 10_000))])).toBe(0);
    // Nothing but the handshake line ever reached stdout; logs are go-hclog JSON on stderr.
    expect(stdout).toBe(line + '\n');
    const logs = stderr.split('\n').filter(Boolean);
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) expect(JSON.parse(l)).toMatchObject({ '@level': expect.any(String), '@message': expect.any(String), '@timestamp': expect.stringMatching(/\.\d{6}Z$/) });
    expect(existsSync(m![1]!)).toBe(false);
  }, 60_000);
});
