// Turns raw runs into the summary: min / median / max throughput, CPU per GiB, peak RSS per
// (case, contender); ratios snapstream / contender; the targets of issue 3; a markdown table and an
// SVG bar chart (median bar, min..max whisker) a person can look at.
const GiB = 2 ** 30;
const MiB = 2 ** 20;

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Groups successful runs by case and contender and reduces them to figures. */
export function summarize(runs) {
  const groups = new Map();
  for (const r of runs) {
    const k = `${r.case}\u0000${r.contender}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const rows = [];
  for (const rs of groups.values()) {
    const ok = rs.filter((r) => r.ok);
    const first = rs[0];
    const mibps = ok.map((r) => r.bytes / MiB / r.wallS);
    const perGiB = (f) => median(ok.map((r) => f(r) / (r.bytes / GiB)).filter((x) => Number.isFinite(x)));
    rows.push({
      case: first.case,
      phase: first.phase,
      kind: first.kind,
      size: first.size,
      contender: first.contender,
      label: first.label,
      family: first.family,
      runs: rs.length,
      failed: rs.length - ok.length,
      errors: [...new Set(rs.filter((r) => !r.ok).map((r) => r.error))],
      minMiBps: Math.min(...mibps),
      medianMiBps: median(mibps),
      maxMiBps: Math.max(...mibps),
      cpuSPerGiB: perGiB((r) => r.cpuS),
      agentCpuSPerGiB: first.agent ? perGiB((r) => r.agentCpuS) : undefined,
      zfsDaemonCpuSPerGiB: perGiB((r) => r.daemonCpuS?.zfs ?? NaN),
      rgwCpuSPerGiB: perGiB((r) => r.daemonCpuS?.rgw ?? NaN),
      peakRssMiB: Math.max(...ok.map((r) => (first.agent ? r.agentPeakRssMiB ?? r.peakRssMiB : r.peakRssMiB))),
      baselineOf: first.baselineOf,
    });
  }
  return rows;
}

const find = (rows, c, contender) => rows.find((r) => r.case === c && r.contender === contender && r.failed < r.runs);

/** Throughput targets of issue 12 (snapstream / contender, median MiB/s, same run). */
const PAIRS = [
  ['backup', 'ss-backup-local', 'send-cat-fsync', 1.0],
  ['backup', 'ss-backup-local', 'send-cat', undefined],
  ['backup', 'ss-backup-s3', 'rclone-backup', 1.2],
  ['backup', 'ss-backup-s3', 'aws-backup', 1.5],
  ['backup', 'ss-backup-s3-unsigned', 'rclone-backup', undefined],
  ['backup', 'ss-backup-s3-unsigned', 'aws-backup', undefined],
  ['backup', 'ss-null-hash', 'send-xxhsum', 0.8],
  ['backup', 'ss-null-nohash', 'send-xxhsum', undefined],
  ['restore', 'ss-restore-s3', 'rclone-restore', 1.0],
  ['restore', 'ss-restore-s3', 'aws-restore', 1.3],
  ['restore', 'ss-restore-local', 'recv-file', 0.9],
  // The same through the long-running agent (jobs over gRPC).
  ['backup', 'agent-backup-local', 'send-cat-fsync', 1.0],
  ['backup', 'agent-backup-s3', 'rclone-backup', 1.2],
  ['backup', 'agent-backup-s3', 'aws-backup', 1.5],
  ['restore', 'agent-restore-s3', 'rclone-restore', 1.0],
  ['restore', 'agent-restore-s3', 'aws-restore', 1.3],
  ['restore', 'agent-restore-local', 'recv-file', 0.9],
];

/** Agent CPU targets of issue 12, s/GiB, per contender. */
const CPU_TARGETS = {
  'ss-backup-s3': 1.0,
  'ss-backup-s3-unsigned': 1.0,
  'ss-backup-local': 0.6,
  'ss-restore-s3': 1.5,
  'agent-backup-s3': 1.0,
  'agent-backup-local': 0.6,
  'agent-restore-s3': 1.5,
};

/** snapstream / contender ratios of median throughput, per case, and the issue's targets. */
export function ratiosAndTargets(rows, { hashCost }) {
  const pairs = [...PAIRS];
  // --baseline: every snapstream contender against its own run from the other checkout.
  for (const r of rows) if (r.baselineOf && !pairs.some((p) => p[1] === r.baselineOf && p[2] === r.contender)) pairs.push([r.phase, r.baselineOf, r.contender, undefined]);
  const cases = [...new Set(rows.map((r) => r.case))];
  const ratios = [];
  for (const c of cases) {
    for (const [phase, a, b, target] of pairs) {
      if (!c.startsWith(phase)) continue;
      const ra = find(rows, c, a);
      const rb = find(rows, c, b);
      if (!ra || !rb) continue;
      const ratio = ra.medianMiBps / rb.medianMiBps;
      ratios.push({ case: c, snapstream: a, contender: b, ratio, target, pass: target === undefined ? undefined : ratio >= target });
    }
  }
  const targets = [];
  for (const r of rows.filter((x) => x.family === 'snapstream' || x.family === 'baseline')) {
    const target = CPU_TARGETS[r.baselineOf ?? r.contender];
    if (target !== undefined && Number.isFinite(r.agentCpuSPerGiB)) {
      targets.push({ what: `agent CPU, ${r.label}, ${r.case}`, value: `${r.agentCpuSPerGiB.toFixed(2)} s/GiB`, target: `<= ${target} s/GiB`, pass: r.agentCpuSPerGiB <= target });
    }
  }
  for (const r of rows.filter((x) => x.family === 'snapstream' || x.family === 'baseline')) {
    // Issue 12: peak RSS <= 64 MiB + (concurrency + 1) x part size (defaults: 5 x 8 MiB).
    const bound = 64 + ((r.concurrency ?? 4) + 1) * (r.partMiB ?? 8);
    if (Number.isFinite(r.peakRssMiB)) targets.push({ what: `peak RSS, ${r.label}, ${r.case}`, value: `${r.peakRssMiB.toFixed(0)} MiB`, target: `<= ${bound} MiB`, pass: r.peakRssMiB <= bound });
  }
  if (hashCost) targets.push(hashCost);
  return { ratios, targets };
}

function fmt(x, d = 0) {
  return Number.isFinite(x) ? x.toFixed(d) : '-';
}

export function markdown({ meta, rows, ratios, targets }) {
  const out = [];
  out.push(`# native-bench results`, '');
  out.push(`Run ${meta.startedAt} -> ${meta.finishedAt} on ${meta.host} (${meta.cpus} CPUs, Node ${meta.node}); ` +
    `load average at start ${meta.loadStart.join(' ')}, at end ${meta.loadEnd.join(' ')}. ` +
    `Sizes ${meta.sizes.join(', ')}; data ${meta.kinds.join(', ')}; ${meta.reps} repetition(s) (larger sizes: ${meta.scaleReps ?? meta.reps}, contenders: ${Array.isArray(meta.scaleOnly) ? meta.scaleOnly.join(', ') : meta.scaleOnly ?? 'all'}), contenders alternated. ` +
    `S3: ${meta.s3Server}. snapstream ${meta.snapstreamVersion}${meta.commit ? ` (${meta.commit})` : ''}${meta.baseline ? `, baseline ${meta.baseline}` : ''}, ${meta.tools.join(', ')}.`, '');
  out.push('Throughput is stream bytes / wall seconds (MiB/s, min / median / max). CPU is user+system seconds per GiB ' +
    'of stream for the whole command (agent = the snapstream process alone, from its getrusage). zfs-fuse and radosgw ' +
    'columns are those daemons\' CPU per GiB during the run. RSS is the peak of the agent (snapstream) or of the largest process.', '');
  out.push('| case | contender | MiB/s min | median | max | CPU s/GiB | agent s/GiB | zfs-fuse s/GiB | radosgw s/GiB | peak RSS MiB | runs |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    out.push(`| ${r.case} | ${r.label} | ${fmt(r.minMiBps)} | **${fmt(r.medianMiBps)}** | ${fmt(r.maxMiBps)} | ${fmt(r.cpuSPerGiB, 2)} | ` +
      `${r.agentCpuSPerGiB === undefined ? '' : fmt(r.agentCpuSPerGiB, 2)} | ${fmt(r.zfsDaemonCpuSPerGiB, 2)} | ${fmt(r.rgwCpuSPerGiB, 2)} | ` +
      `${fmt(r.peakRssMiB)} | ${r.runs - r.failed}/${r.runs}${r.failed ? ' FAILED: ' + r.errors.join('; ').slice(0, 200) : ''} |`);
  }
  out.push('', '## snapstream / contender (median throughput)', '');
  out.push('| case | snapstream | contender | ratio | target |');
  out.push('|---|---|---|---:|---|');
  for (const x of ratios) {
    out.push(`| ${x.case} | ${x.snapstream} | ${x.contender} | ${fmt(x.ratio, 2)}x | ${x.target === undefined ? '' : `>= ${x.target} ${x.pass ? 'PASS' : 'MISS'}`} |`);
  }
  out.push('', '## Other targets', '');
  out.push('| what | value | target | |');
  out.push('|---|---|---|---|');
  for (const t of targets) out.push(`| ${t.what} | ${t.value} | ${t.target} | ${t.pass ? 'PASS' : 'MISS'} |`);
  out.push('');
  return out.join('\n');
}

const COLORS = { limit: '#9e9e9e', snapstream: '#1565c0', baseline: '#90caf9', tool: '#ef6c00' };

/** One horizontal bar per (case, contender): median throughput, a whisker from min to max. */
export function svgChart({ meta, rows }) {
  const caseNames = [...new Set(rows.map((r) => r.case))];
  const barH = 14;
  const gap = 4;
  const left = 330;
  const width = 980;
  const plotW = width - left - 60;
  const max = Math.max(...rows.map((r) => (Number.isFinite(r.maxMiBps) ? r.maxMiBps : 0)), 1);
  const scale = (v) => (Number.isFinite(v) ? (v / max) * plotW : 0);
  const parts = [];
  let y = 56;
  for (const c of caseNames) {
    parts.push(`<text x="8" y="${y + 12}" font-weight="bold">${esc(c)}</text>`);
    y += 18;
    for (const r of rows.filter((x) => x.case === c)) {
      const w = scale(r.medianMiBps);
      parts.push(`<text x="${left - 6}" y="${y + barH - 3}" text-anchor="end">${esc(r.label)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${COLORS[r.family] ?? '#555'}"/>`);
      if (Number.isFinite(r.minMiBps)) {
        const x1 = left + scale(r.minMiBps);
        const x2 = left + scale(r.maxMiBps);
        parts.push(`<line x1="${x1.toFixed(1)}" x2="${x2.toFixed(1)}" y1="${y + barH / 2}" y2="${y + barH / 2}" stroke="#000" stroke-width="1.5"/>`);
      }
      const labelX = left + Math.max(w, scale(r.maxMiBps)) + 6;
      parts.push(`<text x="${labelX.toFixed(1)}" y="${y + barH - 3}">${r.failed === r.runs ? 'failed' : fmt(r.medianMiBps)}</text>`);
      y += barH + gap;
    }
    y += 10;
  }
  const height = y + 30;
  const legend = Object.entries(COLORS)
    .map(([k, col], i) => `<rect x="${left + i * 130}" y="${height - 22}" width="12" height="12" fill="${col}"/><text x="${left + i * 130 + 16}" y="${height - 12}">${k}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#fff"/>
<text x="8" y="20" font-size="16" font-weight="bold">snapstream vs native tools: throughput, MiB/s (bar = median, line = min..max)</text>
<text x="8" y="38" fill="#555">${esc(`${meta.startedAt} - ${meta.reps} rep(s) - load avg at start ${meta.loadStart.join(' ')} - S3: ${meta.s3Server}`)}</text>
${parts.join('\n')}
${legend}
</svg>
`;
}

function esc(s) {
  return String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
}
