import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../../agent/helpers/agent-process.js';

export const GO = process.env.SNAPSTREAM_TEST_GO ?? '/usr/local/go/bin/go';
export const HARNESS_DIR = path.join(REPO, 'test/go/velero-harness');

export function haveGo(): boolean {
  return existsSync(GO);
}

/** Where the built harness is kept between runs (node_modules is git-ignored). */
export const HARNESS_BINARY = path.join(REPO, 'node_modules/.cache/snapstream/velero-harness');

/**
 * Builds test/go/velero-harness (Velero's plugin manager as a line-driven program) unless the kept
 * binary is newer than its sources. Go's default module and build caches are used, so only the
 * first build on a machine downloads and compiles Velero's dependencies (minutes on 2 busy cores);
 * a rebuild after a change to the harness takes seconds.
 */
export function buildHarness(): { binary: string; ms: number; built: boolean } {
  const t = Date.now();
  const sources = readdirSync(HARNESS_DIR).filter((f) => /\.go$|^go\.(mod|sum)$/.test(f));
  const newest = Math.max(...sources.map((f) => statSync(path.join(HARNESS_DIR, f)).mtimeMs));
  if (existsSync(HARNESS_BINARY) && statSync(HARNESS_BINARY).mtimeMs > newest) return { binary: HARNESS_BINARY, ms: 0, built: false };
  mkdirSync(path.dirname(HARNESS_BINARY), { recursive: true });
  execFileSync(GO, ['build', '-mod=readonly', '-o', HARNESS_BINARY, '.'], {
    cwd: HARNESS_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 25 * 60_000,
  });
  return { binary: HARNESS_BINARY, ms: Date.now() - t, built: true };
}

export interface HarnessReply {
  ok: boolean;
  error?: string;
  result?: unknown;
}

/** The running harness: one JSON request per line in, one reply per line out. */
export interface Harness {
  proc: ChildProcess;
  stderr: string[];
  call(req: Record<string, unknown>, timeoutMs?: number): Promise<HarnessReply>;
  quit(): Promise<void>;
}

export function startHarness(binary: string, pluginDir: string, env: NodeJS.ProcessEnv): Harness {
  // As `velero server --log-level debug --features=EnableCSI`: Velero appends these flags to every
  // plugin command line, so the plugin must take them.
  const proc = spawn(binary, ['server', '--log-level', 'debug', '--features=EnableCSI'], {
    env: { ...process.env, ...env, HARNESS_PLUGIN_DIR: pluginDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  let errBuf = '';
  proc.stderr!.on('data', (d: Buffer) => {
    errBuf += d.toString('utf8');
    const lines = errBuf.split('\n');
    errBuf = lines.pop()!;
    stderr.push(...lines);
    if (stderr.length > 20_000) stderr.splice(0, stderr.length - 20_000);
  });
  const waiting: { resolve: (r: HarnessReply) => void; reject: (e: Error) => void }[] = [];
  const early: HarnessReply[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const reply = JSON.parse(line) as HarnessReply;
      const w = waiting.shift();
      if (w) w.resolve(reply);
      else early.push(reply);
    }
  });
  const exited = new Promise<void>((r) =>
    proc.once('exit', (code) => {
      const tail = [...early.map((e) => JSON.stringify(e)), ...stderr.slice(-30)].join('\n');
      for (const w of waiting.splice(0)) w.reject(new Error(`velero-harness exited (${code}):\n${tail}`));
      r();
    }),
  );
  const call = (req: Record<string, unknown>, timeoutMs = 120_000) =>
    new Promise<HarnessReply>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`harness ${String(req.op)} timed out after ${timeoutMs} ms\n${stderr.slice(-40).join('\n')}`)), timeoutMs);
      if (proc.exitCode !== null) return reject(new Error(`velero-harness has exited (${proc.exitCode}): ${JSON.stringify(early)}\n${stderr.slice(-30).join('\n')}`));
      waiting.push({
        resolve: (r) => {
          clearTimeout(t);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      proc.stdin!.write(JSON.stringify(req) + '\n');
    });
  return {
    proc,
    stderr,
    call,
    quit: async () => {
      if (proc.exitCode === null) {
        await call({ op: 'quit' }, 30_000).catch(() => proc.kill('SIGKILL'));
        proc.stdin!.end();
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

/** PIDs of running processes whose command line mentions `needle`. */
export function pidsMatching(needle: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => l.includes(needle) && !l.includes('ps -eo'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}
