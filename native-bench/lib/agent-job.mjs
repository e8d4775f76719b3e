#!/usr/bin/env node
// A Backup or Restore job through the long-running agent over gRPC, as the operator runs one: start
// the job, follow it with WatchJob to its end, print the finished Job as JSON (exit 1 if it failed).
// The bench measures the agent's CPU and peak RSS from /proc for the job's duration (lib/agent.mjs).
//   node agent-job.mjs HOST:PORT backup DATASET SNAP BACKUP LOCATION_URL
//   node agent-job.mjs HOST:PORT restore TARGET BACKUP LOCATION_URL
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = process.env.NATIVE_BENCH_REPO ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { loadAgentProto } = await import(pathToFileURL(path.join(repo, 'dist/wire/agent-proto.js')).href);
const grpc = (await import(pathToFileURL(path.join(repo, 'node_modules/@grpc/grpc-js/build/src/index.js')).href)).default;

const [address, kind, ...rest] = process.argv.slice(2);
const { client: Ctor } = loadAgentProto();
const client = new Ctor(address, grpc.credentials.createInsecure());
const unary = (method, req) =>
  new Promise((resolve, reject) => client[method](req, (e, r) => (e ? reject(new Error(`${method}: ${e.details || e.message}`)) : resolve(r))));

let started;
if (kind === 'backup') {
  const [dataset, snap, backup, url] = rest;
  started = await unary('Backup', { backupName: backup, volumeName: 'v', snapName: snap, prevSnapName: '', dataset, backupDest: url });
} else if (kind === 'restore') {
  const [target, backup, url] = rest;
  started = await unary('Restore', { restoreName: `r-${path.basename(target)}`, volumeName: 'v', targetDataset: target, backupName: backup, restoreSrc: url });
} else {
  throw new Error(`kind ${kind}: backup or restore`);
}

const job = await new Promise((resolve, reject) => {
  let last;
  const stream = client.WatchJob({ jobId: started.job.id, progressIntervalMs: 10_000 });
  stream.on('data', (ev) => (last = ev.job));
  stream.on('error', reject);
  stream.on('end', () => resolve(last));
});
client.close();
process.stdout.write(JSON.stringify(job) + '\n');
// The bench shows a failed run's stderr: the job's own error, not just "exit 1".
if (job?.phase !== 'PHASE_DONE') process.stderr.write(`job ${job?.id ?? '?'} ended ${job?.phase ?? 'without a state'}: ${job?.error?.code ?? ''} ${job?.error?.message ?? JSON.stringify(job?.error ?? null)}\n`);
process.exit(job?.phase === 'PHASE_DONE' ? 0 : 1);
