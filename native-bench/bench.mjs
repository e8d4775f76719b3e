#!/usr/bin/env node
// native-bench: snapstream side by side with what a user would otherwise pipe `zfs send` into, and
// with the limits of this machine. See docs/bench.md. Started by native-bench/run.sh (npm run bench).
//
//   node native-bench/bench.mjs [--quick | --smoke] [--sizes 1G,2G,4G] [--text-sizes 1G] [--reps 3]
//                               [--scale-reps N] [--scale-only id,id] [--only id,id] [--skip id,id] [--out DIR] [--ss-args "--concurrency 8"]
//                               [--keep-work] [--results-md FILE] [--baseline DIR] [--cpu-prof DIR]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { contenders as allContenders, toolEnv } from './lib/contenders.mjs';
import { runMeasured, run } from './lib/measure.mjs';
import { markdown, ratiosAndTargets, summarize, svgChart } from './lib/report.mjs';
import { ensureS3, ensureZfs, fmtSize, log, makePool, sizeLabel, streamFacts, teardown, zfsDaemonPid } from './lib/setup.mjs';
import { hashCostContenders, hashCostTarget } from './lib/hash-cost.mjs';
import { keyCostContenders } from './lib/key-cost.mjs';
import { agentContenders, peakRssMiB, resetPeakRss, startAgent, stopAgent } from './lib/agent.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const here = path.dirname(fileURLToPath(import.meta.url));
const repoDir = path.resolve(here, '..');
const MiB = 2 ** 20;
const GiB = 2 ** 30;

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    sizes: { type: 'string' },
    'text-sizes': { type: 'string' },
    reps: { type: 'string' },
    'scale-reps': { type: 'string' },
    'scale-only': { type: 'string' },
    only: { type: 'string' },
    skip: { type: 'string' },
    out: { type: 'string' },
    'ss-args': { type: 'string', default: '' },
    'keep-work': { type: 'boolean', default: false },
    'results-md': { type: 'string' },
    baseline: { type: 'string' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write(`Usage: npm run bench -- [--quick | --smoke] [--sizes 1G,2G,4G] [--text-sizes 1G] [--reps 3] [--scale-reps N]
                       [--scale-only IDS] [--only IDS] [--skip IDS] [--out DIR] [--ss-args "ARGS"] [--keep-work]
                       [--results-md FILE] [--baseline DIR] [--cpu-prof DIR]
See docs/bench.md.\n`);
  process.exit(0);
}

function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)\s*([MG])i?B?$/i.exec(s.trim());
  if (!m) throw new Error(`size ${JSON.stringify(s)}: write it like 512M or 2G`);
  return Math.round(Number(m[1]) * (m[2].toUpperCase() === 'G' ? GiB : MiB));
}
// --smoke (CI): every contender once on 64 MiB of random data; a correctness check, not a measurement.
if (opt.smoke) opt.quick = true;
const sizes = (opt.sizes ?? (opt.smoke ? '64M' : opt.quick ? '256M' : '1G,2G,4G')).split(',').map(parseSize);
const textSizes = (opt['text-sizes'] ?? (opt.smoke ? '' : opt.quick ? '256M' : sizeLabel(Math.min(...sizes)))).split(',').filter(Boolean).map(parseSize);
const reps = Number(opt.reps ?? (opt.quick ? 1 : 3));
if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps must be a positive integer');
const ids = (s) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
const only = ids(opt.only);
const skip = ids(opt.skip) ?? [];
const scaleReps = Number(opt['scale-reps'] ?? reps);
if (!Number.isInteger(scaleReps) || scaleReps < 1) throw new Error('--scale-reps must be a positive integer');
const scaleOnly = ids(opt['scale-only']);
const ssExtraArgs = opt['ss-args'].split(' ').filter(Boolean);

const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = path.resolve(opt.out ?? path.join(here, 'results', stamp));
mkdirSync(outDir, { recursive: true });
const baseTmp = process.env.NATIVE_BENCH_DIR ?? os.tmpdir();
const state = { workDir: mkdtempSync(path.join(baseTmp, 'native-bench-')), keepWorkDir: opt['keep-work'] };

let tearingDown;
const cleanupOnce = () => (tearingDown ??= stopAgent(state).finally(() => teardown(state, repoDir)));
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanupOnce().finally(() => process.exit(130));
  });
}

const all = [
  ...allContenders({ repoDir, node: process.execPath, ssExtraArgs }),
  ...hashCostContenders({ repoDir, node: process.execPath }),
  ...keyCostContenders({ repoDir, node: process.execPath }),
  ...agentContenders({ repoDir, node: process.execPath }),
  ...(opt.baseline ? baselineContenders(path.resolve(opt.baseline)) : []),
];

/**
 * --baseline DIR: snapstream's contenders once more, run from another built checkout (e.g. the commit
 * before a change), in the same run and the same rotation, so old and new compare side by side. They
 * read the new checkout's backups (the format is the same) and keep no fixtures of their own.
 */
function baselineContenders(dir) {
  const base = [
    ...allContenders({ repoDir: dir, node: process.execPath, ssExtraArgs }),
    ...hashCostContenders({ repoDir: dir, node: process.execPath }),
    ...keyCostContenders({ repoDir: dir, node: process.execPath }).filter((c) => c.id === 'ss-backup-s3-signed'),
  ];
  return base
    .filter((c) => c.family === 'snapstream' && !c.viaAgent)
    .map((c) => ({ ...c, id: `base-${c.id}`, label: `${c.label} [baseline]`, family: 'baseline', baselineOf: c.id, keeps: undefined }));
}
const selected = all.filter((c) => (!only || only.includes(c.id)) && !skip.includes(c.id));
if (only) for (const id of only) if (!all.some((c) => c.id === id)) throw new Error(`--only: no contender ${id}; known: ${all.map((c) => c.id).join(', ')}`);
const preload = pathToFileURL(path.join(here, 'lib', 'rusage-preload.mjs')).href;

async function main() {
  const meta = {
    startedAt: new Date().toISOString(),
    host: os.hostname(),
    cpus: os.cpus().length,
    node: process.version,
    loadStart: os.loadavg().map((x) => x.toFixed(2)),
    sizes: sizes.map(fmtSize),
    kinds: ['random', ...(textSizes.length ? [`text (lzjb) at ${textSizes.map(fmtSize).join(', ')}`] : [])],
    reps,
    scaleReps,
    scaleOnly: scaleOnly ?? 'all but first-size-only contenders',
    ssExtraArgs,
    tools: versions(),
    snapstreamVersion: tryOut([process.execPath, path.join(repoDir, 'bin/snapstream.js'), 'version']).trim(),
    commit: tryOut(['git', '-C', repoDir, 'rev-parse', '--short', 'HEAD']).trim(),
    baseline: opt.baseline ? `${path.resolve(opt.baseline)}${tryOut(['git', '-C', opt.baseline, 'rev-parse', '--short', 'HEAD']).trim() ? ' @ ' + tryOut(['git', '-C', opt.baseline, 'rev-parse', '--short', 'HEAD']).trim() : ''}` : undefined,
  };
  log(`work dir ${state.workDir}; results to ${outDir}`);
  await ensureZfs(state);
  const kinds = [{ kind: 'random', sizes }, ...(textSizes.length ? [{ kind: 'text', sizes: textSizes }] : [])];
  const snaps = await makePool(state, { kinds });
  for (const s of snaps) {
    s.facts = await streamFacts(s.snapshot);
    log(`${s.snapshot}: stream ${fmtSize(s.facts.bytes)}, xxh64 ${s.facts.xxh64}`);
  }
  const maxStream = Math.max(...snaps.map((s) => s.facts.bytes));
  const s3 = selected.some((c) => c.s3) ? await ensureS3(state, { repoDir, maxStream }) : undefined;
  meta.s3Server = s3 ? `${process.env.NATIVE_BENCH_S3_ENDPOINT ? 'reused' : 'own'} Ceph radosgw (memstore) at ${s3.endpoint}` : 'none';
  const zfsPid = await zfsDaemonPid();
  // One long-running agent for the gRPC-job contenders (started after the S3 server, whose
  // credentials it takes from its environment like a deployed agent).
  const agent = selected.some((c) => c.viaAgent)
    ? await startAgent(state, {
        repoDir,
        node: process.execPath,
        env: toolEnv(s3 ?? { key: '', secret: '', endpoint: '' }, state.workDir),
        pool: state.pool,
        storeDir: path.join(state.workDir, 'store'),
        s3,
      })
    : undefined;
  const storeDir = path.join(state.workDir, 'store');
  mkdirSync(storeDir, { recursive: true });

  const runs = [];
  let counter = 0;
  for (const snap of snaps) {
    const fixtures = {};
    const catFile = path.join(state.workDir, `send-${snap.kind}-${snap.label}.zstream`);
    for (const phase of ['backup', 'restore']) {
      // The first size (and the compressible data) gets every contender; larger sizes show scaling,
      // with --scale-only contenders and --scale-reps repetitions to keep a full run in budget.
      const first = snap.kind !== 'random' || snap.size === Math.min(...sizes);
      const list = selected.filter(
        (c) => c.phase === phase && (first || (scaleOnly ? scaleOnly.includes(c.id) : !c.onlyFirstSize)) && (!c.onlyKind || c.onlyKind === snap.kind),
      );
      const caseReps = first ? reps : scaleReps;
      for (let rep = 0; rep < caseReps; rep++) {
        // Alternate: each repetition starts one contender later, so no one always runs first. The last
        // repetition runs the contenders that leave a restore fixture at its end, so radosgw never holds
        // more than one fixture and one stream in flight (a memstore OSD keeps everything in RAM).
        let order = list.map((_, i) => list[(i + rep) % list.length]);
        const last = rep === caseReps - 1;
        if (last) order = [...order.filter((c) => !c.keeps), ...order.filter((c) => c.keeps)];
        for (const c of order) {
          const n = ++counter;
          const ctx = {
            state,
            s3,
            snap,
            facts: snap.facts,
            runId: `${n}`,
            storeDir,
            catFile,
            target: `${state.pool}/rt${n}`,
            agent,
            fixture: c.needs ? fixtures[c.needs] : undefined,
          };
          if (c.needs && !ctx.fixture) {
            log(`skip ${c.id} on ${snap.snapshot}: no ${c.needs} fixture (its backup contender was not run or failed)`);
            continue;
          }
          if (c.s3 && !s3) continue;
          runs.push(await runOne(c, ctx, { rep, zfsPid, fixtures, keep: last }));
        }
      }
    }
    // Fixtures of this snapshot are no longer needed: free disk and radosgw memory for the next one.
    for (const c of selected) {
      if (!c.keeps || !fixtures[c.keeps]) continue;
      await Promise.resolve()
        .then(() => c.cleanup({ state, s3, storeDir, catFile }, fixtures[c.keeps]))
        .catch((e) => log(`cleanup of ${c.keeps} failed: ${e.message}`));
    }
  }

  meta.finishedAt = new Date().toISOString();
  meta.loadEnd = os.loadavg().map((x) => x.toFixed(2));
  const rows = summarize(runs);
  const { ratios, targets } = ratiosAndTargets(rows, { hashCost: hashCostTarget(rows) });
  const md = markdown({ meta, rows, ratios, targets });
  writeFileSync(path.join(outDir, 'results.json'), JSON.stringify({ meta, rows, ratios, targets, runs }, null, 2));
  writeFileSync(path.join(outDir, 'summary.md'), md);
  writeFileSync(path.join(outDir, 'chart.svg'), svgChart({ meta, rows }));
  if (opt['results-md']) {
    // A committed copy of the summary and its chart (results/ itself is git-ignored).
    const mdFile = path.resolve(opt['results-md']);
    const svgFile = mdFile.replace(/\.md$/, '') + '.svg';
    writeFileSync(svgFile, svgChart({ meta, rows }));
    writeFileSync(mdFile, md + `\n![throughput chart](${path.basename(svgFile)})\n`);
  }
  process.stdout.write(md + '\n');
  log(`wrote ${path.join(outDir, 'results.json')}, summary.md, chart.svg`);
  return runs.some((r) => !r.ok) ? 1 : 0;
}

async function runOne(c, ctx, { rep, zfsPid, fixtures, keep }) {
  const agentRusage = c.agent ? path.join(state.workDir, `rusage-${ctx.runId}.json`) : undefined;
  const env = { ...toolEnv(ctx.s3 ?? { key: '', secret: '', endpoint: '' }, state.workDir), ...(c.env ?? {}) };
  if (agentRusage) {
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import=${preload}`.trim();
    env.NATIVE_BENCH_RUSAGE_OUT = agentRusage;
  }
  // Earlier runs' dirty pages must not be written back on this run's time.
  await run(['sync']);
  const watch = { ...(zfsPid ? { zfs: zfsPid } : {}), ...(ctx.s3?.pid ? { rgw: ctx.s3.pid } : {}), ...(c.viaAgent ? { agent: ctx.agent.pid } : {}) };
  if (c.viaAgent) resetPeakRss(ctx.agent.pid);
  let argv = c.argv(ctx);
  // --cpu-prof DIR: a V8 CPU profile of every snapstream CLI run (Node refuses it in NODE_OPTIONS).
  if (opt['cpu-prof'] && agentRusage && argv[0] === process.execPath) {
    argv = [argv[0], '--cpu-prof', `--cpu-prof-dir=${path.resolve(opt['cpu-prof'], `${ctx.runId}-${c.id}-${ctx.snap.kind}-${ctx.snap.label}`)}`, ...argv.slice(1)];
  }
  const r = await runMeasured(argv, { env, workDir: state.workDir, watch, agentRusage });
  if (c.viaAgent) {
    // The job ran in the agent: its CPU and peak RSS are the agent's, not the gRPC client's.
    r.agentCpuS = r.daemonCpuS.agent;
    r.agentPeakRssMiB = peakRssMiB(ctx.agent.pid);
  }
  let ok = r.code === 0;
  let error = ok ? undefined : `exit ${r.code}: ${r.stderr.split('\n').slice(-3).join(' | ').slice(0, 400)}`;
  let artifact;
  if (ok && c.verify) {
    try {
      artifact = await c.verify(ctx, r);
    } catch (e) {
      ok = false;
      error = `verify: ${e.message}`;
    }
  }
  if (c.keeps && ok && keep) {
    // The newest good artifact becomes the fixture the restores read; the previous one goes.
    const old = fixtures[c.keeps];
    fixtures[c.keeps] = artifact ?? true;
    if (old && old !== true) await c.cleanup(ctx, old);
  } else if (c.cleanup) {
    await Promise.resolve()
      .then(() => c.cleanup(ctx, artifact ?? {}))
      .catch((e) => log(`cleanup of ${c.id} failed: ${e.message}`));
  }
  const bytes = ctx.facts.bytes;
  const line = `${c.phase} ${ctx.snap.kind} ${fmtSize(ctx.snap.size)} rep ${rep + 1}: ${c.label.padEnd(34)} ` +
    (ok ? `${(bytes / MiB / r.wallS).toFixed(0).padStart(5)} MiB/s  cpu ${(r.cpuS / (bytes / GiB)).toFixed(2)} s/GiB` +
      (c.agent || c.viaAgent ? ` (agent ${(r.agentCpuS / (bytes / GiB)).toFixed(2)})` : '') + `  rss ${(c.agent || c.viaAgent ? r.agentPeakRssMiB : r.peakRssMiB)?.toFixed(0)} MiB`
      : `FAILED ${error}`);
  log(line);
  const { stdout, stderr, ...measured } = r;
  return {
    case: `${c.phase} ${ctx.snap.kind} ${fmtSize(ctx.snap.size)}`,
    phase: c.phase,
    kind: ctx.snap.kind,
    size: ctx.snap.size,
    bytes,
    contender: c.id,
    label: c.label,
    family: c.family,
    agent: !!c.agent || !!c.viaAgent,
    baselineOf: c.baselineOf,
    rep,
    ok,
    error,
    ...measured,
    stderrTail: ok ? undefined : stderr.slice(-1000),
  };
}

function tryOut(argv) {
  try {
    return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return '';
  }
}

function versions() {
  return [
    `aws ${tryOut(['/usr/bin/aws', '--version']).trim().split(' ')[0]?.replace('aws-cli/', '') || 'missing'}`,
    `rclone ${tryOut(['rclone', 'version']).split('\n')[0]?.replace('rclone ', '') || 'missing'}`,
    `xxhsum ${tryOut(['xxhsum', '-V']).trim().split(' ')[1] ?? ''}`.trim(),
  ];
}

let code = 1;
try {
  code = await main();
} catch (e) {
  log(`failed: ${e.stack ?? e}`);
} finally {
  await cleanupOnce();
}
process.exit(code);
