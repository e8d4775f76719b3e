#!/usr/bin/env node
// h15-dedup: the dedup bench (docs/bench.md, "Deduplicated full backups"). restic vs snapstream plain
// vs snapstream dedup on the same two snapshots: a full backup, then a second FULL backup after ~5% of
// the data changed in place. Reports bytes added per backup, MiB/s and CPU s/GiB, the incremental
// stream's size for reference, the pipeline into a discarding store, restore times, and (with --s3)
// the second full backup to radosgw, plain vs dedup. Needs root (makes its own zfs-fuse pool) and
// restic on PATH (bench only: `apt-get install -y restic`). Not part of CI.
//   sudo node native-bench/dedup-bench.mjs [--size 512M] [--change 0.05] [--s3 http://127.0.0.1:7480] [--s3-size 256M] [--json FILE]
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, closeSync, writeSync, ftruncateSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(repo, 'bin/snapstream.js');
const { values } = parseArgs({ options: { size: { type: 'string', default: '512M' }, change: { type: 'string', default: '0.05' }, s3: { type: 'string' }, 's3-size': { type: 'string', default: '256M' }, json: { type: 'string' } } });
const MiB = 2 ** 20;
const bytesOf = (s) => Number(s.slice(0, -1)) * (s.endsWith('G') ? 2 ** 30 : MiB);
const SIZE = bytesOf(values.size);
const CHANGE = Number(values.change);
const log = (...a) => console.error('[dedup-bench]', ...a);

/** Runs a bash pipeline; returns wall seconds and the children's CPU seconds (bash's `times`). */
function timed(script, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const p = spawn('bash', ['-c', `set -o pipefail; ${script}; rc=$?; times >&3; exit $rc`], { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    let t = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.stdio[3].on('data', (d) => (t += d));
    p.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const line = t.trim().split('\n')[1] ?? '0m0s 0m0s';
      const secs = line.split(/\s+/).map((x) => { const m = /(\d+)m([\d.]+)s/.exec(x); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; });
      if (code !== 0) reject(new Error(`${script}: exit ${code}: ${err.slice(-2000)}`));
      else resolve({ wall, cpu: secs[0] + secs[1], out });
    });
  });
}
const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8' });
const du = (dir) => Number(sh('du', ['-sb', dir]).split('\t')[0]);

function writeRandom(file, bytes) {
  const fd = openSync(file, 'w');
  for (let done = 0; done < bytes; done += MiB) writeSync(fd, randomBytes(Math.min(MiB, bytes - done)));
  closeSync(fd);
}
function overwrite(file, offset, bytes) {
  const fd = openSync(file, 'r+');
  for (let done = 0; done < bytes; done += MiB) writeSync(fd, randomBytes(Math.min(MiB, bytes - done)), 0, Math.min(MiB, bytes - done), offset + done);
  closeSync(fd);
}

/**
 * A dataset with `size` bytes in 32 MiB files plus 200 small files; @s1; then `change` of it rewritten
 * in place in two regions of two files (at offsets that are not block-aligned) and 5 small files; @s2.
 */
function makeData(ds, mnt, size) {
  sh('zfs', ['create', '-o', 'compression=off', ds]);
  const dir = sh('zfs', ['get', '-H', '-o', 'value', 'mountpoint', ds]).trim();
  const files = Math.max(1, Math.round(size / (32 * MiB)));
  for (let i = 0; i < files; i++) writeRandom(path.join(dir, `f${i}.bin`), Math.floor(size / files));
  mkdirSync(path.join(dir, 'small'));
  for (let i = 0; i < 200; i++) writeRandom(path.join(dir, 'small', `s${i}`), 4096 + ((i * 7919) % 60000));
  sh('zfs', ['snapshot', `${ds}@s1`]);
  const per = Math.floor(size / files);
  const changed = Math.min(Math.round((size * CHANGE) / 2), per - 4 * MiB);
  for (let k = 0; k < 2; k++) overwrite(path.join(dir, `f${Math.floor((k * files) / 2)}.bin`), 3 * MiB + 12345 * (k + 1), changed);
  for (let i = 0; i < 5; i++) writeRandom(path.join(dir, 'small', `s${i * 37}`), 5000 + i);
  sh('zfs', ['snapshot', `${ds}@s2`]);
  void mnt;
  return { dir, changedBytes: 2 * changed };
}

const work = mkdtempSync(path.join(process.env.NATIVE_BENCH_DIR ?? tmpdir(), 'dedup-bench-'));
const pool = `nbdd${randomBytes(3).toString('hex')}`;
const img = path.join(work, 'pool.img');
const cleanup = [];
const results = { size: SIZE, change: CHANGE, rows: [], null: {}, restore: {}, s3: undefined };
try {
  const fd = openSync(img, 'w');
  ftruncateSync(fd, SIZE * 8 + 2 * 2 ** 30);
  closeSync(fd);
  mkdirSync(path.join(work, 'mnt'));
  sh('zpool', ['create', '-f', '-m', path.join(work, 'mnt'), pool, img]);
  cleanup.push(() => sh('zpool', ['destroy', '-f', pool]));
  const ds = `${pool}/data`;
  log(`writing ${values.size} (+ small files) into ${ds}, then changing ~${CHANGE * 100}%`);
  const { changedBytes } = makeData(ds, work, SIZE);
  const fullSize = Number((await timed(`zfs send ${ds}@s2 | wc -c`)).out.trim());
  const incr = Number((await timed(`zfs send -i @s1 ${ds}@s2 | wc -c`)).out.trim());
  const sendNull = await timed(`zfs send ${ds}@s2 > /dev/null`);
  const streamSha = (await timed(`zfs send ${ds}@s2 | sha256sum`)).out.split(' ')[0];
  Object.assign(results, { fullStream: fullSize, incrementalStream: incr, changedBytes, sendNullMiBs: fullSize / MiB / sendNull.wall });
  log(`full stream ${fullSize} B, incremental ${incr} B, zfs send > /dev/null ${(fullSize / MiB / sendNull.wall).toFixed(0)} MiB/s`);

  const contenders = {
    restic: (dest, s) => `zfs send ${ds}@${s} | restic -r ${dest} backup -q --stdin --stdin-filename data.zfs`,
    'snapstream plain': (dest, s) => `node ${BIN} backup ${ds}@${s} --to file://${dest} --backup ${s} --volume v -q`,
    'snapstream dedup': (dest, s) => `node ${BIN} backup ${ds}@${s} --to 'file://${dest}?dedup=true' --backup ${s} --volume v -q`,
  };
  const env = { RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: path.join(work, 'restic-cache'), SNAPSTREAM_LOG_LEVEL: 'error' };
  for (const [name, cmd] of Object.entries(contenders)) {
    const dest = path.join(work, name.replace(/ /g, '-'));
    mkdirSync(dest);
    if (name === 'restic') await timed(`restic -r ${dest} init -q`, env);
    const row = { name };
    for (const s of ['s1', 's2']) {
      const before = du(dest);
      const r = await timed(cmd(dest, s), env);
      const stream = s === 's2' ? fullSize : fullSize; // both snapshots are the same size
      row[s] = { added: du(dest) - before, wall: r.wall, MiBs: stream / MiB / r.wall, cpuPerGiB: r.cpu / (stream / 2 ** 30) };
      log(name, s, JSON.stringify(row[s]));
    }
    results.rows.push(row);
    if (name !== 'restic') {
      const loc = name === 'snapstream dedup' ? `file://${dest}` : `file://${dest}`;
      const cat = (await timed(`node ${BIN} cat --from ${loc} --backup s2 --volume v | sha256sum`, env)).out.split(' ')[0];
      if (cat !== streamSha) throw new Error(`${name}: cat of s2 is not the zfs send stream (${cat} vs ${streamSha})`);
      const target = `${pool}/r-${name.split(' ')[1]}`;
      const r = await timed(`node ${BIN} restore --from ${loc} --backup s2 --volume v --target ${target} -q`, env);
      results.restore[name] = { wall: r.wall, MiBs: fullSize / MiB / r.wall, cpuPerGiB: r.cpu / (fullSize / 2 ** 30) };
      log(name, 'restore', JSON.stringify(results.restore[name]));
    }
  }
  for (const [k, flag] of [['plain', ''], ['dedup', '--dedup']]) {
    const r = await timed(`node ${path.join(repo, 'native-bench/lib/null-backup.mjs')} ${ds}@s2 ${flag}`, env);
    results.null[k] = { MiBs: fullSize / MiB / r.wall, cpuPerGiB: r.cpu / (fullSize / 2 ** 30) };
    log('null store', k, JSON.stringify(results.null[k]));
  }

  if (values.s3) {
    const size = bytesOf(values['s3-size']);
    const ds3 = `${pool}/s3data`;
    makeData(ds3, work, size);
    const s3Full = Number((await timed(`zfs send ${ds3}@s2 | wc -c`)).out.trim());
    const bucket = `nbdd-${randomBytes(4).toString('hex')}`;
    const s3env = { ...env, AWS_ACCESS_KEY_ID: process.env.NATIVE_BENCH_S3_KEY ?? 'TESTAK', AWS_SECRET_ACCESS_KEY: process.env.NATIVE_BENCH_S3_SECRET ?? 'TESTSK', AWS_REGION: 'us-east-1' };
    const { S3Client, CreateBucketCommand, ListObjectsV2Command, DeleteObjectsCommand, DeleteBucketCommand } = await import(path.join(repo, 'node_modules/@aws-sdk/client-s3/dist-cjs/index.js'));
    const s3 = new S3Client({ endpoint: values.s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: s3env.AWS_ACCESS_KEY_ID, secretAccessKey: s3env.AWS_SECRET_ACCESS_KEY } });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const empty = async () => {
      for (;;) {
        const l = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
        if (!l.Contents?.length) return;
        await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: l.Contents.map((o) => ({ Key: o.Key })) } }));
      }
    };
    cleanup.unshift(async () => { await empty(); await s3.send(new DeleteBucketCommand({ Bucket: bucket })); });
    const url = (p, dedup) => `'s3://${bucket}/${p}?endpoint=${encodeURIComponent(values.s3)}&region=us-east-1${dedup ? '&dedup=true' : ''}'`;
    const plain = await timed(`node ${BIN} backup ${ds3}@s2 --to ${url('plain', false)} --backup s2 --volume v -q`, s3env);
    await empty();
    await timed(`node ${BIN} backup ${ds3}@s1 --to ${url('dd', true)} --backup s1 --volume v -q`, s3env);
    const dedup = await timed(`node ${BIN} backup ${ds3}@s2 --to ${url('dd', true)} --backup s2 --volume v -q`, s3env);
    results.s3 = { size: s3Full, plainSeconds: plain.wall, dedupSecondFullSeconds: dedup.wall, speedup: plain.wall / dedup.wall };
    log('radosgw', JSON.stringify(results.s3));
  }
} finally {
  for (const c of cleanup) {
    try {
      await c();
    } catch (e) {
      log('cleanup:', e.message);
    }
  }
  rmSync(work, { recursive: true, force: true });
}

const f = (n, d = 1) => n.toFixed(d);
const md = [
  `Second FULL backup after ~${CHANGE * 100}% of a ${values.size} dataset changed in place (full stream ${f(results.fullStream / MiB)} MiB; incremental stream ${f(results.incrementalStream / MiB)} MiB).`,
  '',
  '| contender | 1st backup added | 2nd full backup added | 2nd: x incremental | 2nd MiB/s | 2nd CPU s/GiB |',
  '|---|---|---|---|---|---|',
  ...results.rows.map((r) => `| ${r.name} | ${f(r.s1.added / MiB)} MiB | ${f(r.s2.added / MiB)} MiB | ${f(r.s2.added / results.incrementalStream, 2)} | ${f(r.s2.MiBs, 0)} | ${f(r.s2.cpuPerGiB, 2)} |`),
  '',
  `zfs send > /dev/null: ${f(results.sendNullMiBs, 0)} MiB/s. Pipeline into a discarding store: plain ${f(results.null.plain.MiBs, 0)} MiB/s (${f(results.null.plain.cpuPerGiB, 2)} CPU s/GiB), dedup ${f(results.null.dedup.MiBs, 0)} MiB/s (${f(results.null.dedup.cpuPerGiB, 2)} CPU s/GiB).`,
  `Restore of the 2nd backup (local store): plain ${f(results.restore['snapstream plain'].MiBs, 0)} MiB/s, dedup ${f(results.restore['snapstream dedup'].MiBs, 0)} MiB/s.`,
  ...(results.s3 ? [`radosgw, ${f(results.s3.size / MiB)} MiB stream: plain full ${f(results.s3.plainSeconds)} s, dedup second full ${f(results.s3.dedupSecondFullSeconds)} s (${f(results.s3.speedup)}x faster).`] : []),
].join('\n');
process.stdout.write(md + '\n');
if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 1) + '\n');
