// Two extra contenders: snapstream's backup pipeline into a store that discards parts, with XXH64
// and with a no-op hasher. Their ratio is what hashing costs; against `zfs send > /dev/null` they
// show the agent's own overhead with no disk or server in the way.
import path from 'node:path';
import { median } from './report.mjs';

export function hashCostContenders({ repoDir, node }) {
  const driver = path.join(repoDir, 'native-bench/lib/null-backup.mjs');
  const check = (hash) => (ctx, r) => {
    const m = JSON.parse(r.stdout);
    if (m.size !== ctx.facts.bytes) throw new Error(`pipeline saw ${m.size} bytes, stream is ${ctx.facts.bytes}`);
    if (hash && m.streamHash !== ctx.facts.xxh64) throw new Error(`streamHash ${m.streamHash}, xxhsum says ${ctx.facts.xxh64}`);
  };
  return [
    {
      id: 'ss-null-hash',
      label: 'snapstream pipeline -> null store',
      phase: 'backup',
      family: 'snapstream',
      agent: true,
      onlyFirstSize: true,
      argv: (ctx) => [node, driver, ctx.snap.snapshot],
      verify: check(true),
    },
    {
      id: 'ss-null-nohash',
      label: 'same, hashing off',
      phase: 'backup',
      family: 'snapstream',
      agent: true,
      onlyFirstSize: true,
      argv: (ctx) => [node, driver, ctx.snap.snapshot, '--no-hash'],
      verify: check(false),
    },
  ];
}

/** Throughput lost to hashing (issue 3: <= 5%), from the median of each, per case; the worst case counts. */
export function hashCostTarget(rows) {
  const costs = [];
  for (const on of rows.filter((r) => r.contender === 'ss-null-hash')) {
    const off = rows.find((r) => r.case === on.case && r.contender === 'ss-null-nohash');
    if (!off || !Number.isFinite(on.medianMiBps) || !Number.isFinite(off.medianMiBps)) continue;
    costs.push({ case: on.case, cost: 1 - on.medianMiBps / off.medianMiBps, cpu: on.agentCpuSPerGiB - off.agentCpuSPerGiB });
  }
  if (costs.length === 0) return undefined;
  const worst = costs.reduce((a, b) => (b.cost > a.cost ? b : a));
  return {
    what: `hashing cost (throughput, null store; ${costs.map((c) => `${c.case}: ${(c.cost * 100).toFixed(1)}%, +${c.cpu.toFixed(2)} agent s/GiB`).join('; ')})`,
    value: `${(worst.cost * 100).toFixed(1)}%`,
    target: '<= 5%',
    pass: worst.cost <= 0.05,
    median: median(costs.map((c) => c.cost)),
  };
}
