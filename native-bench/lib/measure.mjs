// Runs one command under GNU time and reads what the OS says it cost: wall time, user + system CPU of
// the command and every child it waited for, and the peak RSS of the largest of them. Long-running
// daemons that do part of the work (the zfs-fuse daemon, radosgw) are not children: their CPU is read
// from /proc before and after, so the summary can show where the machine's cycles went.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const CLK_TCK = 100; // Linux USER_HZ; /proc/<pid>/stat counts in these.

/** CPU seconds (user + system) a live process has used so far, or undefined when it is gone. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/**
 * Spawns argv (an argument array, never a shell string) under /usr/bin/time. `watch` maps a name to
 * a daemon pid whose CPU delta is reported. `agentRusage`, when set, is a file the snapstream process
 * writes its own getrusage into (see rusage-preload.mjs), which separates the agent from its children.
 */
export async function runMeasured(argv, { env, cwd, workDir, watch = {}, agentRusage, timeoutMs = 30 * 60_000 }) {
  const timeFile = path.join(workDir, `time-${process.pid}-${Date.now()}.txt`);
  const before = Object.fromEntries(Object.entries(watch).map(([k, pid]) => [k, processCpuSeconds(pid)]));
  if (agentRusage) rmSync(agentRusage, { force: true });
  const started = process.hrtime.bigint();
  const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, ...argv], {
    env,
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b) => {
    if (stdout.length < 1 << 20) stdout += b;
  });
  child.stderr.on('data', (b) => {
    stderr = (stderr + b).slice(-8192);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise((resolve) => child.on('close', (c, sig) => resolve(c ?? (sig ? 128 : 1))));
  clearTimeout(timer);
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const after = Object.fromEntries(Object.entries(watch).map(([k, pid]) => [k, processCpuSeconds(pid)]));
  let timeLine = '';
  try {
    timeLine = (await readFile(timeFile, 'utf8')).trim().split('\n').pop() ?? '';
  } catch {
    /* time itself failed to start */
  }
  rmSync(timeFile, { force: true });
  const [, user, sys, maxKb] = timeLine.split(' ').map(Number);
  const r = {
    code,
    wallS,
    cpuUserS: user,
    cpuSysS: sys,
    cpuS: (user ?? NaN) + (sys ?? NaN),
    peakRssMiB: maxKb / 1024,
    daemonCpuS: Object.fromEntries(
      Object.keys(watch).map((k) => [k, before[k] !== undefined && after[k] !== undefined ? after[k] - before[k] : undefined]),
    ),
    stdout,
    stderr: stderr.trim(),
  };
  if (agentRusage) {
    try {
      const a = JSON.parse(await readFile(agentRusage, 'utf8'));
      r.agentCpuS = a.userS + a.systemS;
      r.agentCpuUserS = a.userS;
      r.agentCpuSysS = a.systemS;
      r.agentPeakRssMiB = a.maxRssKiB / 1024;
    } catch {
      /* the agent died before writing it; the run fails on its exit code */
    }
  }
  return r;
}

/** Runs a setup/cleanup command (not measured); throws with its stderr on failure. */
export function run(argv, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err = (err + b).slice(-8192)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${argv.join(' ')} exited ${code}: ${err.trim()}`));
    });
  });
}
