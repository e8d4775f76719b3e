// The long-running agent path: one `snapstream agent` (plaintext gRPC on loopback) for the whole
// bench, and contenders that run a Backup or Restore job through it (lib/agent-job.mjs), as the
// operator does. The agent's CPU per job is read from /proc/PID/stat before and after (it is not a
// child of the measured command), its peak RSS per job from VmHWM after resetting it
// (/proc/PID/clear_refs = 5). No Node start-up is in these figures: the agent is already running.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './measure.mjs';
import { emptyPrefix, log } from './setup.mjs';

export async function startAgent(state, { repoDir, node, env, pool, storeDir, s3 }) {
  // Granted exactly what the bench uses, as a deployed agent would be: its pool, the local store's
  // directory and the bench bucket.
  const grants = [`file://${storeDir}`, ...(s3 ? [`s3://${s3.bucket}?endpoint=${encodeURIComponent(s3.endpoint)}&region=us-east-1&forcePathStyle=true`] : [])];
  const child = spawn(
    node,
    [
      path.join(repoDir, 'bin/snapstream.js'), 'agent', '--insecure-plaintext', '--listen', '127.0.0.1:0', '--metrics-listen', '',
      '--allowed-pool', pool, ...grants.flatMap((g) => ['--allow-location', g]), '--log-level', 'info',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  state.agentProc = child;
  let err = '';
  child.stderr.on('data', (b) => (err = (err + b).slice(-4000)));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`agent did not start in 30 s: ${err}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`agent exited ${code}: ${err}`)));
    child.stdout.on('data', (b) => {
      out += b;
      for (const line of out.split('\n')) {
        if (!line.includes('agent listening')) continue;
        clearTimeout(t);
        resolve(JSON.parse(line).grpcPort);
      }
      if (out.length > 1 << 20) out = out.slice(-4096);
    });
  });
  child.stdout.resume();
  log(`agent pid ${child.pid} on 127.0.0.1:${port}`);
  return { pid: child.pid, address: `127.0.0.1:${port}` };
}

export async function stopAgent(state) {
  const c = state.agentProc;
  if (!c || c.exitCode !== null) return;
  c.kill('SIGTERM');
  await new Promise((r) => {
    const t = setTimeout(() => {
      c.kill('SIGKILL');
      r();
    }, 30_000);
    c.once('exit', () => {
      clearTimeout(t);
      r();
    });
  });
}

/** Resets the agent's peak RSS so VmHWM afterwards is this job's peak. */
export function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export function peakRssMiB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export function agentContenders({ repoDir, node }) {
  const driver = path.join(repoDir, 'native-bench/lib/agent-job.mjs');
  const s3url = (ctx, prefix) => `s3://${ctx.s3.bucket}/${prefix}?endpoint=${encodeURIComponent(ctx.s3.endpoint)}&region=us-east-1&forcePathStyle=true`;
  // The agent names a backup after its snapshot, so every run writes under a prefix of its own.
  const prefix = (ctx) => `ag${ctx.runId}`;
  const checkJob = (ctx, r) => {
    const job = JSON.parse(r.stdout);
    const b = job.backup;
    if (Number(b.sizeBytes) !== ctx.facts.bytes) throw new Error(`job says ${b.sizeBytes} bytes, stream is ${ctx.facts.bytes}`);
    if (b.streamHash !== ctx.facts.xxh64) throw new Error(`job streamHash ${b.streamHash}, xxhsum says ${ctx.facts.xxh64}`);
    return { prefix: prefix(ctx), backup: ctx.snap.label };
  };
  const checkRestored = async (ctx) => {
    const guid = (await run(['zfs', 'get', '-H', '-o', 'value', 'guid', `${ctx.target}@${ctx.snap.label}`])).trim();
    if (guid !== ctx.facts.guid) throw new Error(`restored ${ctx.target}@${ctx.snap.label} has guid ${guid}, source has ${ctx.facts.guid}`);
  };
  const destroyTarget = (ctx) => run(['zfs', 'destroy', '-r', ctx.target]).catch(() => {});
  const [dataset, snap] = [(ctx) => ctx.snap.snapshot.split('@')[0], (ctx) => ctx.snap.snapshot.split('@')[1]];
  return [
    {
      id: 'agent-backup-local',
      label: 'agent (gRPC job) backup -> local dir',
      phase: 'backup',
      family: 'snapstream',
      viaAgent: true,
      argv: (ctx) => [node, driver, ctx.agent.address, 'backup', dataset(ctx), snap(ctx), snap(ctx), `file://${path.join(ctx.storeDir, prefix(ctx))}`],
      verify: checkJob,
      keeps: 'agentLocalBackup',
      cleanup: (ctx, a) => rmSync(path.join(ctx.storeDir, a.prefix ?? prefix(ctx)), { recursive: true, force: true }),
    },
    {
      id: 'agent-backup-s3',
      label: 'agent (gRPC job) backup -> radosgw',
      phase: 'backup',
      family: 'snapstream',
      viaAgent: true,
      s3: true,
      argv: (ctx) => [node, driver, ctx.agent.address, 'backup', dataset(ctx), snap(ctx), snap(ctx), s3url(ctx, prefix(ctx))],
      verify: checkJob,
      keeps: 'agentS3Backup',
      cleanup: (ctx, a) => emptyPrefix(ctx.state, `${a.prefix ?? prefix(ctx)}/`),
    },
    {
      id: 'agent-restore-local',
      label: 'agent (gRPC job) restore <- local dir',
      phase: 'restore',
      family: 'snapstream',
      viaAgent: true,
      needs: 'agentLocalBackup',
      argv: (ctx) => [node, driver, ctx.agent.address, 'restore', ctx.target, ctx.fixture.backup, `file://${path.join(ctx.storeDir, ctx.fixture.prefix)}`],
      verify: checkRestored,
      cleanup: destroyTarget,
    },
    {
      id: 'agent-restore-s3',
      label: 'agent (gRPC job) restore <- radosgw',
      phase: 'restore',
      family: 'snapstream',
      viaAgent: true,
      s3: true,
      needs: 'agentS3Backup',
      argv: (ctx) => [node, driver, ctx.agent.address, 'restore', ctx.target, ctx.fixture.backup, s3url(ctx, ctx.fixture.prefix)],
      verify: checkRestored,
      cleanup: destroyTarget,
    },
  ];
}
