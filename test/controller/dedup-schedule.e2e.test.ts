import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import type { SnapstreamConfig } from '../../src/config/types.js';
import { StoreCatalog } from '../../src/controller/backup-catalog.js';
import { GrpcAgentClient } from '../../src/controller/grpc-agent-client.js';
import { readMark } from '../../src/dedup/gc-state.js';
import { openStore } from '../../src/location/open-store.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { type AgentProcess, startAgentProcess } from '../agent/helpers/agent-process.js';
import { type TestPki, TEST_CLIENT_FLAGS, makeTestPki } from '../agent/helpers/make-certs.js';
import { createBucket, createDataset, datasetMountpoint, destroyDataset, emptyAndDeleteBucket, getTestEnv, needs, uniqueName } from '../helpers/test-env.js';
import { type ControllerProcess, startControllerProcess } from './helpers/controller-process.js';

/**
 * Issue 15 end to end: `snapstream controller` runs a full-mode (disableIncrementalBackups) schedule
 * on a location with `dedup: true` against a real agent (mTLS), zfs-fuse and radosgw while the
 * volume changes a little between slots. Every backup is a full stream that restores on its own
 * (each is restored into zfs recv and its content compared), yet after the first each adds only about
 * what changed; retention expires the oldest and the controller's GC runs after it.
 */
const PERIOD_S = 4;
const KEEP = 2;
const MiB = 1024 * 1024;
const env = getTestEnv();
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let pki: TestPki;
let root: string;
let ds: string;
let mount: string;
let bucket: string;
let agent: AgentProcess;
let controller: ControllerProcess | undefined;
let client: GrpcAgentClient;
let config: SnapstreamConfig;
let catalog: StoreCatalog;
let store: ObjectStore;
let tmp: string;
/** sha256 of data.bin for each version number written. */
const shaOf = new Map<number, string>();
let stopWriter = false;
let writer: Promise<void> | undefined;

/** Rewrites 256 KiB of the 6 MiB data.bin in place (the rest stays byte-identical), and version.txt. */
async function writeVersion(n: number): Promise<void> {
  const file = path.join(mount, 'data.bin');
  const fh = await open(file, n === 0 ? 'w' : 'r+');
  try {
    if (n === 0) await fh.write(randomBytes(6 * MiB), 0, 6 * MiB, 0);
    else await fh.write(randomBytes(256 * 1024), 0, 256 * 1024, ((n * 7) % 24) * 256 * 1024);
  } finally {
    await fh.close();
  }
  shaOf.set(n, createHash('sha256').update(readFileSync(file)).digest('hex'));
  writeFileSync(path.join(mount, 'version.txt'), `${n}\n`);
}

beforeAll(async () => {
  if (!needs('zfs', 's3')) return;
  const ep = env.s3!;
  const awsEnv = { AWS_ACCESS_KEY_ID: ep.accessKeyId, AWS_SECRET_ACCESS_KEY: ep.secretAccessKey, AWS_REGION: ep.region };
  Object.assign(process.env, awsEnv);
  tmp = mkdtempSync(path.join(tmpdir(), 'snapstream-dd-'));
  pki = makeTestPki();
  root = await createDataset(env.zfsPool!, uniqueName('ddctl'));
  ds = await createDataset(root, 'pvc-dd');
  mount = await datasetMountpoint(ds);
  bucket = uniqueName('ddctl');
  await createBucket(ep, bucket);
  const text = [
    'apiVersion: snapstream.io/v1',
    'kind: SnapstreamConfig',
    'locations:',
    '  - name: dd',
    '    provider: aws',
    `    bucket: ${bucket}`,
    `    region: ${ep.region}`,
    `    s3Url: ${ep.endpoint}`,
    '    s3ForcePathStyle: true',
    '    backupPathPrefix: dd',
    '    disableIncrementalBackups: true',
    '    dedup: true',
    'schedules:',
    '  - name: dd',
    `    schedule: "@every ${PERIOD_S}s"`,
    '    location: dd',
    `    keepLast: ${KEEP}`,
    '    volumes:',
    '      - volume: pvc-dd',
    `        dataset: ${ds}`,
  ].join('\n') + '\n';
  const configFile = path.join(tmp, 'snapstream.yaml');
  writeFileSync(configFile, text);
  config = parseConfig([{ file: configFile, text }]);
  const loc = config.locations.find((l) => l.name === 'dd')!;
  expect(loc.location.dedup).toBe(true);
  store = await openStore(loc.location, { log });
  catalog = new StoreCatalog(store, loc.location.layout, log);
  agent = await startAgentProcess(
    ['--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', '--tls-ca', pki.caFile, '--tls-cert', pki.serverCert, '--tls-key', pki.serverKey,
      '--allowed-pool', root, ...TEST_CLIENT_FLAGS, '--allow-location', `s3://${bucket}?endpoint=${encodeURIComponent(ep.endpoint)}`, '--node-name', 'node-dd'],
    awsEnv,
  );
  client = new GrpcAgentClient({
    address: `127.0.0.1:${agent.grpcPort}`,
    tls: { ca: pki.read(pki.caFile), cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey), serverName: 'localhost' },
  });
  await writeVersion(0);
  // Changes land mid-slot, far from the instants the snapshots are taken.
  writer = (async () => {
    for (let n = 1; !stopWriter && n < 100; n++) {
      const ms = PERIOD_S * 1000;
      await sleep((ms / 2 - (Date.now() % ms) + ms) % ms || ms);
      if (!stopWriter) await writeVersion(n);
    }
  })();
  controller = await startControllerProcess(
    ['--config', configFile, '--agent', `127.0.0.1:${agent.grpcPort}`, '--tls-ca', pki.caFile, '--tls-cert', pki.clientCert, '--tls-key', pki.clientKey,
      '--tls-server-name', 'localhost', '--metrics-listen', '127.0.0.1:0', '--retry-delay', '1s'],
    awsEnv,
  );
}, 120_000);

afterAll(async () => {
  stopWriter = true;
  await writer;
  await controller?.stop('SIGKILL');
  client?.close();
  await agent?.stop();
  await catalog?.close();
  if (bucket) await emptyAndDeleteBucket(env.s3!, bucket).catch(() => {});
  for (let i = 0; root && i < 10; i++) {
    try {
      await destroyDataset(root);
      break;
    } catch {
      await sleep(1000);
    }
  }
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!needs('zfs', 's3'))('controller: a full-mode dedup schedule, end to end', { timeout: 120_000 }, () => {
  it('every backup is full, deduplicated, restores on its own bit-exact; the oldest expire; GC runs after retention', async () => {
    const seen = new Set<string>();
    for (const until = Date.now() + 60_000; ; ) {
      const listed = (await catalog.list()).filter((m) => m.schedule === 'dd');
      for (const m of listed) seen.add(m.backup);
      if (seen.size >= KEEP + 1 && listed.length === KEEP) break;
      if (Date.now() > until) throw new Error(`timed out: saw ${[...seen].join(', ')}`);
      await sleep(250);
    }
    stopWriter = true;
    await controller!.stop('SIGTERM');
    controller = undefined;
    const all = (await catalog.list()).filter((m) => m.schedule === 'dd');
    expect(all.length).toBe(KEEP);
    expect(all.every((m) => m.previousSnapshot === '' && m.dedup !== undefined && m.parts.length === 0)).toBe(true);
    // The oldest listed backup was not the first: it expired, and its manifest is gone.
    expect(all.map((m) => m.backup)).not.toContain([...seen].sort()[0]);
    // After the first, a full backup adds the changed 256 KiB (+ at most its aligned segments) and its recipe, not 6 MiB.
    const later = [...seen].sort().slice(1);
    for (const m of all.filter((x) => later.includes(x.backup))) expect(m.dedup!.addedBytes, m.backup).toBeLessThan(m.size * 0.75);
    expect(await readMark(store, config.locations[0]!.location.layout)).toBeDefined(); // the controller's GC took its mark
    for (const m of all) {
      const target = `${root}/r-${m.backup.slice(-6)}`;
      const started = await client.startRestore({ restoreName: `restore-${m.backup}`, backup: m.backup, volume: 'pvc-dd', targetDataset: target, restoreAllIncrementalSnapshots: false, location: config.locations[0]!.vslConfig });
      const outcome = await client.watchJob(started.jobId);
      expect(outcome.phase, JSON.stringify(outcome.error)).toBe('done');
      const dir = execFileSync('zfs', ['get', '-H', '-o', 'value', 'mountpoint', target], { encoding: 'utf8' }).trim();
      const version = Number(readFileSync(path.join(dir, 'version.txt'), 'utf8'));
      expect(createHash('sha256').update(readFileSync(path.join(dir, 'data.bin'))).digest('hex'), `${m.backup} (version ${version})`).toBe(shaOf.get(version));
    }
  });
});
