import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

let built = false;

/**
 * Compiles src/ to dist/ when dist is missing or older than any source file (the agent runs from
 * dist). Checked once per test file: `npm test` builds first, and rebuilding for every agent a file
 * starts would cost a tsc run each time someone touched src/ meanwhile.
 */
export function ensureBuilt(): void {
  if (built) return;
  built = true;
  const main = path.join(REPO, 'dist/cli/main.js');
  if (existsSync(main) && newestMtime(path.join(REPO, 'dist')) >= newestMtime(path.join(REPO, 'src'))) return;
  try {
    execFileSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'pipe' });
  } catch (e) {
    // tsc emits even with type errors elsewhere in the tree; only a missing entry point is fatal.
    if (!existsSync(main)) throw e;
  }
}

export interface AgentProcess {
  proc: ChildProcess;
  grpcPort: number;
  metricsPort: number;
  healthPort: number;
  /** Every stdout/stderr line so far (pino JSON lines and plain errors). */
  output: string[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `node bin/snapstream.js agent ARGS` and waits for its "agent listening" log line. */
export async function startAgentProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
  ensureBuilt();
  const proc = spawn(process.execPath, [path.join(REPO, 'bin/snapstream.js'), 'agent', ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let buf = '';
  const ready = new Promise<{ grpcPort: number; metricsPort: number; healthPort: number }>((resolve, reject) => {
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        output.push(line);
        if (line.includes('"agent listening"')) {
          const j = JSON.parse(line) as { grpcPort: number; metricsPort: number; healthPort: number };
          resolve({ grpcPort: j.grpcPort, metricsPort: j.metricsPort, healthPort: j.healthPort });
        }
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (d: Buffer) => output.push(...d.toString('utf8').split('\n').filter(Boolean)));
    void exited.then((code) => reject(new Error(`agent exited with ${code} before listening:\n${output.join('\n')}`)));
    setTimeout(() => reject(new Error(`agent did not start in 20 s:\n${output.join('\n')}`)), 20_000).unref();
  });
  const { grpcPort, metricsPort, healthPort } = await ready;
  return {
    proc,
    grpcPort,
    metricsPort,
    healthPort,
    output,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
