import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { REPO, ensureBuilt } from '../../agent/helpers/agent-process.js';

export interface ControllerProcess {
  proc: ChildProcess;
  metricsPort: number;
  /** Parsed JSON log lines so far (non-JSON lines as {raw}). */
  logs: Record<string, any>[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns `node bin/snapstream.js controller ARGS` and waits for its "controller running" line. */
export async function startControllerProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ControllerProcess> {
  ensureBuilt();
  const proc = spawn(process.execPath, [path.join(REPO, 'bin/snapstream.js'), 'controller', ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, any>[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let buf = '';
  const ready = new Promise<number>((resolve, reject) => {
    const onLine = (line: string) => {
      let j: Record<string, any>;
      try {
        j = JSON.parse(line) as Record<string, any>;
      } catch {
        j = { raw: line };
      }
      logs.push(j);
      if (j.msg === 'controller running') resolve(j.metricsPort as number);
    };
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => logs.push(...d.toString('utf8').split('\n').filter(Boolean).map((raw) => ({ raw }))));
    void exited.then((code) => reject(new Error(`controller exited with ${code} before running:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`)));
    setTimeout(() => reject(new Error('controller did not start in 20 s')), 20_000).unref();
  });
  const metricsPort = await ready;
  return {
    proc,
    metricsPort,
    logs,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}
