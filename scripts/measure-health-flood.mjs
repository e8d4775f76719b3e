#!/usr/bin/env node
// Measures the agent's RSS while a client floods its plaintext health port with gRPC Watch streams
// (the issue 10 finding: 5,000 streams took main from 85 to 160 MiB). Starts a plaintext loopback
// agent from REPO (default: this checkout), opens CONNS connections x STREAMS Watch streams, prints
// RSS before / with the streams open, then stops the agent. Bounded: every stream settles within 10 s.
//   node scripts/measure-health-flood.mjs [REPO] [CONNS=50] [STREAMS=100] [extra agent flags...]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..'));
const conns = Number(process.argv[3] ?? 50);
const streams = Number(process.argv[4] ?? 100);
const extra = process.argv.slice(5);
const rss = (pid) => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

const agent = spawn(process.execPath, [path.join(repo, 'bin/snapstream.js'), 'agent', '--listen', '127.0.0.1:0', '--metrics-listen', '', '--health-listen', '127.0.0.1:0', '--insecure-plaintext', '--allow-any-pool', ...extra], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: '1' },
});
const healthPort = await new Promise((resolve, reject) => {
  let buf = '';
  agent.stdout.on('data', (d) => {
    buf += d;
    const line = buf.split('\n').find((l) => l.includes('"agent listening"'));
    if (line) resolve(JSON.parse(line).healthPort);
  });
  agent.once('exit', (c) => reject(new Error(`agent exited ${c}`)));
});
agent.stdout.resume();
await new Promise((r) => setTimeout(r, 1000));
const before = rss(agent.pid);
const sessions = [];
let served = 0;
let refused = 0;
const settles = [];
for (let c = 0; c < conns; c++) {
  const s = http2.connect(`http://127.0.0.1:${healthPort}`);
  s.on('error', () => {});
  sessions.push(s);
  for (let i = 0; i < streams; i++) {
    settles.push(new Promise((resolve) => {
      let done = false;
      const settle = (ok) => { if (!done) { done = true; ok ? served++ : refused++; resolve(); } };
      setTimeout(() => settle(false), 10_000).unref();
      try {
        const req = s.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Watch', 'content-type': 'application/grpc', te: 'trailers' });
        req.on('data', () => settle(true));
        req.on('error', () => settle(false));
        req.on('close', () => settle(false));
        req.end(Buffer.from([0, 0, 0, 0, 0]));
      } catch { settle(false); }
    }));
  }
}
await Promise.all(settles);
await new Promise((r) => setTimeout(r, 1000));
const during = rss(agent.pid);
console.log(JSON.stringify({ repo, conns, streams, served, refused, rssBeforeMiB: +before.toFixed(1), rssDuringMiB: +during.toFixed(1), growthMiB: +(during - before).toFixed(1) }));
for (const s of sessions) s.destroy();
agent.kill('SIGKILL');
