#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): share of samples that are idle, GC, and the top
// functions by self time, plus time by source area (node internals, the AWS SDK, snapstream...).
//   node native-bench/lib/profile-summary.mjs FILE.cpuprofile [--top 15]
import { readFileSync } from 'node:fs';

const file = process.argv[2];
const top = Number(process.argv[process.argv.indexOf('--top') + 1]) || 15;
const p = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const dt = new Map();
for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const self = new Map();
const area = new Map();
const areaOf = (url) =>
  url === '' ? 'native/V8' : url.startsWith('node:') ? 'node internals' : /@aws-sdk|@smithy/.test(url) ? 'AWS SDK' : /snapstream|\/dist\//.test(url) ? 'snapstream' : /node_modules/.test(url) ? 'other packages' : 'other';
for (const [id, us] of dt) {
  const n = byId.get(id);
  const f = n.callFrame;
  const name = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}`;
  self.set(name, (self.get(name) ?? 0) + us);
  const a = ['(idle)', '(garbage collector)', '(program)'].includes(f.functionName) ? f.functionName : areaOf(f.url);
  area.set(a, (area.get(a) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / total).toFixed(1)}%`;
console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled`);
console.log('by area:', [...area].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${pct(v)}`).join(', '));
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(v).padStart(6)}  ${(v / 1e3).toFixed(0).padStart(6)} ms  ${k}`);
