import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyring } from '../../src/keys/load-keyring.js';
import type { ObjectStore } from '../../src/store/object-store.js';
import { runBackup } from '../../src/transfer/backup.js';
import { readManifest } from '../../src/transfer/catalog.js';
import { dataKeyFor } from '../../src/model/layout.js';
import { manifestKeyFor, parseManifest, serializeManifest } from '../../src/model/manifest.js';
import { loadHasher } from '../../src/model/hasher.js';
import { runRestore } from '../../src/transfer/restore.js';
import { parseSnapshotShortName } from '../../src/zfs/names.js';
import { type TestLocation, makeLocation, makeZfs, mountpointOf, silentLog, testDataset } from '../helpers/core-fixture.js';
import { needs, treeDigest, uniqueName, writeRandomFile } from '../helpers/test-env.js';

/**
 * Authenticated and encrypted backups against real zfs-fuse and radosgw: what a bucket writer can
 * forge is refused before any byte reaches zfs recv, and encrypted objects hold no plaintext.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/snapstream.js');
const RECORDING_ZFS = path.join(ROOT, 'test/helpers/recording-zfs.sh');
const MiB = 1024 * 1024;
const MARKER = 'SNAPSTREAM-PLAINTEXT-MARKER-';
// radosgw by default; SNAPSTREAM_TEST_KEYS_STORE=swift|local runs the same against another store.
const KIND = (process.env.SNAPSTREAM_TEST_KEYS_STORE ?? 'radosgw') as 'radosgw' | 'swift' | 'local';
const SERVER = KIND === 'radosgw' ? 's3' : KIND === 'swift' ? 'swift' : 'zfs';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, SNAPSTREAM_LOG_LEVEL: 'warn' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Counts ranged GETs of stream objects: "no byte fetched" is then an exact assertion. */
function countingStore(inner: ObjectStore): ObjectStore & { dataGets: number } {
  const s = Object.create(inner) as ObjectStore & { dataGets: number };
  s.dataGets = 0;
  s.get = (key, opts) => {
    if (!key.endsWith('.snapstream.json')) s.dataGets++;
    return inner.get(key, opts);
  };
  return s;
}

describe.skipIf(!needs('zfs', SERVER))(`authenticated and encrypted backups (zfs-fuse + ${KIND})`, () => {
  const zfs = makeZfs();
  let t: TestLocation;
  let keyDir: string;
  let k: { sign: string; pub: string; enc: string; sign2: string; pub2: string; enc2: string };
  let recvLog: string;
  const ds = testDataset(uniqueName('keysrc'));
  const evil = testDataset(uniqueName('keyevil'));
  const targets: string[] = [];
  const target = () => {
    const n = testDataset(uniqueName('keyt'));
    targets.push(n);
    return n;
  };
  let digest: string;

  beforeAll(async () => {
    t = await makeLocation(KIND);
    keyDir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapstream-keys-'));
    recvLog = path.join(keyDir, 'recv.log');
    // Read by test/helpers/recording-zfs.sh, which every restore below that asserts "no recv" uses.
    process.env.RECV_LOG = recvLog;
    for (const d of ['a', 'b']) {
      await fs.mkdir(path.join(keyDir, d));
      const r = cli('keygen', '--out', path.join(keyDir, d));
      expect(r.err).not.toMatch(/error/i);
      expect(r.code).toBe(0);
    }
    k = {
      sign: path.join(keyDir, 'a/signing.pem'), pub: path.join(keyDir, 'a/signing.pub.pem'), enc: path.join(keyDir, 'a/encryption.key'),
      sign2: path.join(keyDir, 'b/signing.pem'), pub2: path.join(keyDir, 'b/signing.pub.pem'), enc2: path.join(keyDir, 'b/encryption.key'),
    };
    expect((await fs.stat(k.sign)).mode & 0o777).toBe(0o600);
    for (const [name, d] of [[ds, 'good'], [evil, 'evil']] as const) {
      await zfs.run(['create', name]);
      const mp = await mountpointOf(zfs, name);
      await writeRandomFile(path.join(mp, 'a.bin'), 6 * MiB + 17);
      await fs.writeFile(path.join(mp, 'marker.txt'), (MARKER + d + '\n').repeat(20_000));
      await zfs.snapshot(name, parseSnapshotShortName('s1'));
    }
    digest = await treeDigest(await mountpointOf(zfs, ds));
  });
  afterAll(async () => {
    for (const n of [ds, evil, ...targets]) await zfs.destroyDataset(n as never).catch(() => {});
    await t?.cleanup();
    if (keyDir) await fs.rm(keyDir, { recursive: true, force: true });
  });

  const backupCli = (name: string, src: string, ...keys: string[]) => {
    const r = cli('backup', `${src}@s1`, '--to', t.url, '--backup', name, '--volume', 'v', '--part-size', '5Mi', '-q', ...keys);
    if (r.code !== 0) throw new Error(`backup ${name} failed (${r.code}): ${r.err}`);
    return r;
  };
  const restoreLib = async (backup: string, trusted: string[], extra: { allowUnauthenticated?: boolean } = {}) => {
    const keys = await loadKeyring({ trustedKeyFiles: trusted });
    const store = countingStore(t.store);
    const into = target();
    await fs.rm(recvLog, { force: true });
    const err = await runRestore(
      { backup, volume: 'v', layout: t.loc.layout, target: into, ...extra },
      { zfs: makeZfs(RECORDING_ZFS), store, log: silentLog, keys },
    ).then(() => undefined, (e: { code: string }) => e);
    const recvStarted = await fs.readFile(recvLog, 'utf8').then(() => true, () => false);
    return { err, into, dataGets: store.dataGets, recvStarted, exists: await zfs.exists(into) };
  };

  it('a forged stream + matching XXH64 manifest is refused before any byte is fetched or received', async () => {
    expect(backupCli('forged', ds, '--signing-key', k.sign).code).toBe(0);
    // The attacker (bucket write access, no key) replaces the backup with their own stream and a
    // manifest that matches it, exactly what today's verification accepts.
    const mkey = manifestKeyFor(dataKeyFor(t.loc.layout, 'forged', 'v'));
    await t.store.delete(mkey);
    expect(backupCli('forged', evil).code).toBe(0);
    const r = await restoreLib('forged', [k.pub]);
    expect(r.err).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(r.dataGets).toBe(0);
    expect(r.recvStarted).toBe(false);
    expect(r.exists).toBe(false);
    // The CLI: exit 3 and the stable code.
    const c = cli('restore', '--from', t.url, '--backup', 'forged', '--volume', 'v', '--target', target(), '--trusted-key', k.pub);
    expect(c.code).toBe(3);
    expect(c.err).toMatch(/error UNAUTHENTICATED: backup forged of volume v has no signature/);
  });

  it('an altered signed manifest (part hashes of another stream under the old signature) is SIGNATURE_INVALID, nothing fetched', async () => {
    expect(backupCli('altered', ds, '--signing-key', k.sign).code).toBe(0);
    expect(backupCli('other', evil, '--signing-key', k.sign2).code).toBe(0);
    const key = (b: string) => manifestKeyFor(dataKeyFor(t.loc.layout, b, 'v'));
    const read = async (b: string) => JSON.parse((await streamToBuffer(await t.store.get(key(b)))).toString());
    const env = await read('altered');
    const otherInner = JSON.parse((await read('other')).manifest);
    const inner = JSON.parse(env.manifest);
    // Splice the other stream's hashes into the signed manifest and move the other stream's object in.
    Object.assign(inner, { size: otherInner.size, parts: otherInner.parts, streamHash: otherInner.streamHash });
    env.manifest = serializeManifest(parseManifest(Buffer.from(JSON.stringify(inner)), 'x')).toString();
    await t.store.put(key('altered'), Buffer.from(JSON.stringify(env)));
    await t.store.put(dataKeyFor(t.loc.layout, 'altered', 'v'), await streamToBuffer(await t.store.get(dataKeyFor(t.loc.layout, 'other', 'v'))));
    const r = await restoreLib('altered', [k.pub, k.pub2]);
    expect(r.err).toMatchObject({ code: 'SIGNATURE_INVALID' });
    expect(r.dataGets).toBe(0);
    expect(r.recvStarted).toBe(false);
    expect(r.exists).toBe(false);
  });

  it('a tampered part is refused: re-hashed as XXH64 it is unsigned; under the signature its SHA-256 fails', async () => {
    expect(backupCli('tamper', ds, '--signing-key', k.sign).code).toBe(0);
    const dataKey = dataKeyFor(t.loc.layout, 'tamper', 'v');
    const obj = await streamToBuffer(await t.store.get(dataKey));
    obj[5 * MiB + 100]! ^= 0xff; // in part 2
    await t.store.put(dataKey, obj);
    const r = await restoreLib('tamper', [k.pub]);
    expect(r.err).toMatchObject({ code: 'INTEGRITY_MISMATCH' });
    expect(String((r.err as unknown as Error).message)).toMatch(/part 2 .* sha256 expected/);
    expect(r.exists).toBe(false);
    // The attacker also rewrites the manifest as version 1 with the flipped part's XXH64.
    const m = await readManifest(t.store, t.loc.layout, 'tamper', 'v');
    const h = await loadHasher();
    const forged = {
      ...m, version: 1, hash: 'xxh64', streamHash: h.hashHex(obj),
      parts: m.parts.map((p) => ({ n: p.n, offset: p.offset, size: p.size, xxh64: h.hashHex(obj.subarray(p.offset, p.offset + p.size)) })),
    };
    await t.store.put(manifestKeyFor(dataKey), Buffer.from(JSON.stringify(forged)));
    const r2 = await restoreLib('tamper', [k.pub]);
    expect(r2.err).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(r2.dataGets).toBe(0);
    expect(r2.recvStarted).toBe(false);
  });

  it('an unsigned (legacy) backup is listed as unsigned, refused with a trusted key, restored with the opt-in', async () => {
    expect(backupCli('legacy', ds).code).toBe(0);
    const ls = JSON.parse(cli('ls', t.url, '--backup', 'legacy', '--json', '--trusted-key', k.pub).out);
    expect(ls.backups).toMatchObject([{ backup: 'legacy', hash: 'xxh64', auth: { state: 'unsigned' }, encrypted: false }]);
    expect(cli('ls', t.url, '--backup', 'legacy', '--trusted-key', k.pub).out).toMatch(/legacy\s+v\s+full.*\sunsigned\s+no\s/);
    const v = cli('verify', t.url, '--backup', 'legacy', '--volume', 'v', '--trusted-key', k.pub);
    expect(v.code).toBe(3);
    expect(v.out).toMatch(/FAILED .*has no signature/);
    const into = target();
    const refused = cli('restore', '--from', t.url, '--backup', 'legacy', '--volume', 'v', '--target', into, '--trusted-key', k.pub);
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(/UNAUTHENTICATED.*--allow-unauthenticated/);
    expect(await zfs.exists(into)).toBe(false);
    const ok = cli('restore', '--from', t.url, '--backup', 'legacy', '--volume', 'v', '--target', into, '--trusted-key', k.pub, '--allow-unauthenticated');
    expect(ok.err).not.toMatch(/error/i);
    expect(ok.code).toBe(0);
    expect(await treeDigest(await mountpointOf(zfs, into))).toBe(digest);
    // Without keys the legacy plain stream holds the marker: the control for the encrypted check below.
    const plain = await streamToBuffer(await t.store.get(dataKeyFor(t.loc.layout, 'legacy', 'v')));
    expect(plain.includes(Buffer.from(MARKER))).toBe(true);
    // An object with no manifest at all (stock plugin) is refused too, even with --allow-unverified.
    await t.store.put(dataKeyFor(t.loc.layout, 'nomanifest', 'v'), plain);
    const into2 = target();
    const lg = cli('restore', '--from', t.url, '--backup', 'nomanifest', '--volume', 'v', '--target', into2, '--allow-unverified', '--trusted-key', k.pub);
    expect(lg.code).toBe(3);
    expect(lg.err).toMatch(/UNAUTHENTICATED: backup nomanifest of volume v has no manifest/);
    expect(await zfs.exists(into2)).toBe(false);
  });

  it('encrypted + signed: round trip bytes-equal, no plaintext in the object, cat | stock zfs recv, wrong key refused', async () => {
    const b = backupCli('enc', ds, '--signing-key', k.sign, '--encryption-key', k.enc);
    expect(b.err).not.toMatch(/error/i);
    expect(b.out).toMatch(/sha256 [0-9a-f]{64}, signed by [0-9a-f]{16}, encrypted \(key [0-9a-f]{16}\)/);
    const stored = await streamToBuffer(await t.store.get(dataKeyFor(t.loc.layout, 'enc', 'v')));
    expect(stored.includes(Buffer.from(MARKER))).toBe(false);
    expect(stored.includes(Buffer.from('marker.txt'))).toBe(false);
    const ls = JSON.parse(cli('ls', t.url, '--backup', 'enc', '--json', '--trusted-key', k.pub).out);
    expect(ls.backups).toMatchObject([{ backup: 'enc', hash: 'sha256', auth: { state: 'signed' }, encrypted: true }]);
    // verify with only the public key checks the stored bytes; with the key it also decrypts.
    expect(cli('verify', t.url, '--backup', 'enc', '--volume', 'v', '--trusted-key', k.pub).code).toBe(0);
    expect(cli('verify', t.url, '--backup', 'enc', '--volume', 'v', '--trusted-key', k.pub, '--encryption-key', k.enc).code).toBe(0);

    const into = target();
    const r = cli('restore', '--from', t.url, '--backup', 'enc', '--volume', 'v', '--target', into, '--trusted-key', k.pub, '--encryption-key', k.enc);
    expect(r.err).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(await treeDigest(await mountpointOf(zfs, into))).toBe(digest);

    // cat piped into the stock zfs recv
    const into2 = target();
    const code = await catIntoZfsRecv(['--from', t.url, '--backup', 'enc', '--volume', 'v', '--trusted-key', k.pub, '--encryption-key', k.enc], into2);
    expect(code).toEqual({ cat: 0, recv: 0 });
    expect(await treeDigest(await mountpointOf(zfs, into2))).toBe(digest);

    // a wrong key, and no key: a clear error, nothing received
    const into3 = target();
    const wrong = cli('restore', '--from', t.url, '--backup', 'enc', '--volume', 'v', '--target', into3, '--trusted-key', k.pub, '--encryption-key', k.enc2);
    expect(wrong.code).toBe(3);
    expect(wrong.err).toMatch(/DECRYPTION_FAILED: backup enc was encrypted with master key id [0-9a-f]{16}, but the configured encryption key has id/);
    const none = cli('restore', '--from', t.url, '--backup', 'enc', '--volume', 'v', '--target', into3, '--trusted-key', k.pub);
    expect(none.err).toMatch(/DECRYPTION_FAILED: backup enc is encrypted .*--encryption-key/);
    expect(await zfs.exists(into3)).toBe(false);
  });

  it('cat of a tampered encrypted backup writes nothing of the bad part and fails; zfs recv keeps nothing', async () => {
    expect(backupCli('enc2', ds, '--encryption-key', k.enc).code).toBe(0);
    const dataKey = dataKeyFor(t.loc.layout, 'enc2', 'v');
    const obj = await streamToBuffer(await t.store.get(dataKey));
    obj[obj.length - 20]! ^= 1; // the last part
    await t.store.put(dataKey, obj);
    const into = target();
    const code = await catIntoZfsRecv(['--from', t.url, '--backup', 'enc2', '--volume', 'v', '--encryption-key', k.enc], into);
    expect(code.cat).toBe(3);
    expect(code.recv).not.toBe(0);
    expect(await zfs.exists(into)).toBe(false);
  });

  it('a signed chain restores with --chain; an unsigned manifest planted for its base stops it before any byte moves', async () => {
    const mp = await mountpointOf(zfs, ds);
    await fs.writeFile(path.join(mp, 'second.txt'), 'second snapshot\n');
    await zfs.snapshot(ds, parseSnapshotShortName('s2'));
    const d2 = await treeDigest(mp);
    backupCli('c1', ds, '--signing-key', k.sign);
    const r2 = cli('backup', `${ds}@s2`, '--from', 's1', '--to', t.url, '--backup', 'c2', '--volume', 'v', '--previous-backup', 'c1', '--part-size', '5Mi', '-q', '--signing-key', k.sign);
    expect(r2.code).toBe(0);
    const into = target();
    const ok = cli('restore', '--from', t.url, '--backup', 'c2', '--volume', 'v', '--target', into, '--chain', '--trusted-key', k.pub);
    expect(ok.err).not.toMatch(/error/i);
    expect(ok.code).toBe(0);
    expect(await treeDigest(await mountpointOf(zfs, into))).toBe(d2);
    // The attacker replaces the base's signed envelope by its inner manifest, unsigned.
    const key = manifestKeyFor(dataKeyFor(t.loc.layout, 'c1', 'v'));
    const env = JSON.parse((await streamToBuffer(await t.store.get(key))).toString());
    await t.store.put(key, Buffer.from(env.manifest));
    const keys = await loadKeyring({ trustedKeyFiles: [k.pub] });
    const store = countingStore(t.store);
    const into2 = target();
    await fs.rm(recvLog, { force: true });
    const err = await runRestore(
      { backup: 'c2', volume: 'v', layout: t.loc.layout, target: into2, restoreAllIncrementalSnapshots: true },
      { zfs: makeZfs(RECORDING_ZFS), store, log: silentLog, keys },
    ).then(() => undefined, (e: { code: string; message: string }) => e);
    expect(err).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(err!.message).toMatch(/backup c1 of volume v has no signature/);
    expect(store.dataGets).toBe(0);
    expect(await fs.readFile(recvLog, 'utf8').then(() => true, () => false)).toBe(false);
    expect(await zfs.exists(into2)).toBe(false);
  });

  it('rotation: a backup signed with the old key verifies while that key is trusted, and fails after removing it', async () => {
    expect(backupCli('rot', ds, '--signing-key', k.sign).code).toBe(0);
    const v = (...keys: string[]) => cli('verify', t.url, '--backup', 'rot', '--volume', 'v', ...keys.flatMap((x) => ['--trusted-key', x]));
    expect(v(k.pub2, k.pub).code).toBe(0);
    const after = v(k.pub2);
    expect(after.code).toBe(3);
    expect(after.out).toMatch(/is signed by key [0-9a-f]{16}, which is not among the trusted keys/);
    // the env var form of the same
    const e = spawnSync(process.execPath, [BIN, 'verify', t.url, '--backup', 'rot', '--volume', 'v'], {
      encoding: 'utf8', env: { ...process.env, SNAPSTREAM_TRUSTED_KEY_FILES: `${k.pub2},${k.pub}` },
    });
    expect(e.status).toBe(0);
  });
});

async function streamToBuffer(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

/** `snapstream cat ARGS | zfs recv TARGET`, two processes and a pipe (no shell); both exit codes. */
function catIntoZfsRecv(args: string[], target: string): Promise<{ cat: number | null; recv: number | null }> {
  return new Promise((resolve, reject) => {
    const cat = spawn(process.execPath, [BIN, 'cat', ...args, '-q'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const recv = spawn('zfs', ['recv', target], { stdio: ['pipe', 'inherit', 'pipe'] });
    recv.stderr.resume();
    cat.stdout.pipe(recv.stdin);
    recv.stdin.on('error', () => {});
    let catCode: number | null | undefined;
    let recvCode: number | null | undefined;
    const done = () => catCode !== undefined && recvCode !== undefined && resolve({ cat: catCode, recv: recvCode });
    cat.on('error', reject);
    recv.on('error', reject);
    cat.on('close', (c) => ((catCode = c), done()));
    recv.on('close', (c) => ((recvCode = c), done()));
    setTimeout(() => {
      cat.kill();
      recv.kill();
    }, 120_000).unref();
  });
}
