#!/usr/bin/env node
// snapstream's backup pipeline (runBackup from dist/) into a store that discards every part: the
// agent's own cost on top of `zfs send > /dev/null`, with no disk or server in the way. With
// `--no-hash` a no-op hasher replaces XXH64, which prices hashing (issue 3: <= 5% of throughput).
//   node null-backup.mjs POOL/DS@SNAP [--no-hash] [--concurrency N] [--part-size BYTES] [--dedup]
// (--dedup: the dedup layout's split + segment hashing, every segment "absent", h15-dedup)
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const load = (p) => import(pathToFileURL(path.join(repo, 'dist', p)).href);
const [{ runBackup }, { Zfs }, { createLogger }, { parseSnapshotName }, { ErrorCode, SnapstreamError }, { transferTuningFrom }] = await Promise.all([
  load('transfer/backup.js'),
  load('zfs/zfs.js'),
  load('log.js'),
  load('zfs/names.js'),
  load('errors.js'),
  load('transfer/transfer-tuning.js'),
]);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { 'no-hash': { type: 'boolean', default: false }, dedup: { type: 'boolean', default: false }, concurrency: { type: 'string' }, 'part-size': { type: 'string' } },
});
const { dataset, snapshot } = parseSnapshotName(positionals[0]);

/** Accepts everything, keeps nothing. */
const nullStore = {
  limits: { minPartSize: 5 * 2 ** 20, maxPartSize: 5 * 2 ** 30, maxParts: 10_000, parallelParts: true },
  describe: () => 'null://',
  put: async () => {},
  createUpload: async (key) => ({ key, uploadPart: async () => {}, complete: async () => ({ key, size: -1 }), abort: async () => {} }),
  // NOT_FOUND, as the ObjectStore contract says for an absent key: the pipeline looks for a progress
  // record to resume from before it starts.
  get: async (key) => {
    throw new SnapstreamError(ErrorCode.NOT_FOUND, `null store holds nothing (${key})`);
  },
  head: async () => undefined,
  list: async function* () {},
  delete: async () => {},
  cleanupUploads: async () => 0,
  close: async () => {},
};
const noHash = { create: () => ({ update() {}, digestHex: () => '0000000000000000' }), hashHex: () => '0000000000000000' };

const log = createLogger({ level: 'error' });
const m = await runBackup(
  {
    dataset,
    snapshot,
    backup: 'null',
    volume: 'v',
    layout: { backupPathPrefix: '', prefix: '' },
    dedup: values.dedup,
    transfer: {
      concurrency: values.concurrency ? Number(values.concurrency) : undefined,
      partSize: values['part-size'] ? Number(values['part-size']) : undefined,
    },
  },
  { zfs: new Zfs({ log, env: process.env }), store: nullStore, log, tuning: transferTuningFrom(process.env), ...(values['no-hash'] ? { hasher: noHash } : {}) },
);
process.stdout.write(JSON.stringify({ size: m.size, streamHash: m.streamHash, parts: m.parts.length, ...(m.dedup ? { segments: m.dedup.segments } : {}) }) + '\n');
