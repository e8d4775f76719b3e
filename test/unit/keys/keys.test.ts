import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupKeying } from '../../../src/keys/backup-keying.js';
import { type Keyring, masterKeyId, publicKeyId } from '../../../src/keys/keyring.js';
import { loadKeyring, parseMasterKey } from '../../../src/keys/load-keyring.js';
import { authOf, requireAuthenticated } from '../../../src/keys/manifest-auth.js';
import { PartCipher } from '../../../src/keys/part-cipher.js';
import { readKeying } from '../../../src/keys/read-keying.js';
import { sha256Hasher } from '../../../src/keys/sha256-hasher.js';
import { openManifest, signManifestBytes } from '../../../src/keys/signed-manifest.js';
import { downloadVerified } from '../../../src/transfer/download-stream.js';
import { loadHasher } from '../../../src/model/hasher.js';
import { type Manifest, parseManifest, serializeManifest } from '../../../src/model/manifest.js';
import { planParts } from '../../../src/transfer/part-plan.js';
import { ProgressMeter } from '../../../src/transfer/progress.js';
import { uploadStream } from '../../../src/transfer/upload-stream.js';
import { readCappedRegularFile } from '../../../src/util/read-capped-file.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { sampleManifest } from '../core/manifest.test.js';

const log = pino({ level: 'silent' });
const KiB = 1024;

function signer() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: { keyId: publicKeyId(privateKey), key: privateKey }, publicKey };
}
function ringOf(...pubs: ReturnType<typeof signer>[]): Keyring {
  return { trusted: new Map(pubs.map((p) => [p.signer.keyId, p.publicKey])) };
}
function master(): NonNullable<Keyring['master']> {
  const key = randomBytes(32);
  return { keyId: masterKeyId(key), key };
}
function sha256Manifest(over: Partial<Manifest> = {}): Manifest {
  return sampleManifest({
    version: 2, hash: 'sha256', streamHash: 'c'.repeat(64),
    parts: [{ n: 1, offset: 0, size: 20, sha256: 'a'.repeat(64) }, { n: 2, offset: 20, size: 10, sha256: 'b'.repeat(64) }],
    ...over,
  });
}
const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
};

describe('signed manifests', () => {
  const a = signer();
  const b = signer();
  const inner = serializeManifest(sha256Manifest());
  const env = JSON.parse(signManifestBytes(inner, a.signer).toString()) as Record<string, unknown>;
  const open = (e: unknown, keys?: Keyring) => openManifest(Buffer.from(JSON.stringify(e)), 'test', keys);

  it('verifies against a trusted key and reports it', () => {
    const m = open(env, ringOf(a));
    expect(m).toEqual(parseManifest(inner, 'x'));
    expect(authOf(m)).toEqual({ state: 'signed', keyId: a.signer.keyId });
  });

  it.each<[string, (e: Record<string, unknown>) => void, string]>([
    ['one byte of the manifest text', (e) => void (e.manifest = (e.manifest as string).replace('"tank/v"', '"tank/w"')), 'SIGNATURE_INVALID'],
    ['a part hash', (e) => void (e.manifest = (e.manifest as string).replace('a'.repeat(64), 'd'.repeat(64))), 'SIGNATURE_INVALID'],
    ['the signature', (e) => void (e.signature = Buffer.alloc(64, 1).toString('base64')), 'SIGNATURE_INVALID'],
    ['a truncated signature', (e) => void (e.signature = (e.signature as string).slice(4)), 'MANIFEST_INVALID'],
    ['the algorithm', (e) => void (e.alg = 'none'), 'MANIFEST_INVALID'],
    ['the envelope version', (e) => void (e.version = 2), 'MANIFEST_INVALID'],
    ['the key id format', (e) => void (e.keyId = 'XYZ'), 'MANIFEST_INVALID'],
    ['no manifest text', (e) => void delete e.manifest, 'MANIFEST_INVALID'],
  ])('tampering with %s is refused', (_, tamper, code) => {
    const e = structuredClone(env);
    tamper(e);
    expect(codeOf(() => open(e, ringOf(a)))).toBe(code);
  });

  it('a signature by an untrusted key (or none) is reported, and refused by requireAuthenticated', () => {
    const keys = ringOf(b);
    const m = open(env, keys);
    expect(authOf(m)).toEqual({ state: 'untrusted-key', keyId: a.signer.keyId });
    expect(codeOf(() => requireAuthenticated([m], keys, false))).toBe('UNAUTHENTICATED');
    expect(() => requireAuthenticated([m], keys, true)).not.toThrow();
    const plain = openManifest(inner, 'plain', keys);
    expect(authOf(plain).state).toBe('unsigned');
    expect(codeOf(() => requireAuthenticated([plain], keys, false))).toBe('UNAUTHENTICATED');
    // A copy is not the object that was checked: fails closed.
    expect(codeOf(() => requireAuthenticated([{ ...open(env, ringOf(a)) }], ringOf(a), false))).toBe('UNAUTHENTICATED');
    // No trusted keys: nothing is required, the signature is shown as unchecked.
    const unchecked = open(env);
    expect(authOf(unchecked).state).toBe('unchecked');
    expect(() => requireAuthenticated([unchecked, plain], undefined, false)).not.toThrow();
  });

  it('rotation: several trusted keys at once; removing one stops its backups', () => {
    const newer = JSON.parse(signManifestBytes(inner, b.signer).toString());
    const both = ringOf(a, b);
    expect(authOf(open(env, both)).state).toBe('signed');
    expect(authOf(open(newer, both)).state).toBe('signed');
    expect(codeOf(() => requireAuthenticated([open(env, ringOf(b))], ringOf(b), false))).toBe('UNAUTHENTICATED');
  });

  it('a signed manifest must use sha256 hashes', () => {
    const e = JSON.parse(signManifestBytes(serializeManifest(sampleManifest()), a.signer).toString());
    expect(codeOf(() => open(e, ringOf(a)))).toBe('MANIFEST_INVALID');
  });
});

describe('part cipher', () => {
  const mk = master();
  const { cipher, encryption } = PartCipher.create(mk, 'backups/b/v-b');
  const plain = randomBytes(1000);

  it('round-trips; ciphertext is plaintext + 16 and does not contain it', () => {
    const sealed = cipher.seal(3, plain);
    expect(sealed.length).toBe(1016);
    expect(sealed.includes(plain.subarray(0, 32))).toBe(false);
    expect(cipher.seal(3, plain).equals(sealed)).toBe(true); // deterministic for retries
    const again = PartCipher.open({ trusted: new Map(), master: mk }, encryption, 'backups/b/v-b', 'b');
    expect(again.open(3, sealed, 'b').equals(plain)).toBe(true);
  });

  it.each<[string, (s: Buffer) => Buffer, number]>([
    ['a flipped ciphertext byte', (s) => (s[10]! ^= 1, s), 3],
    ['a flipped tag byte', (s) => (s[s.length - 1]! ^= 1, s), 3],
    ['a part moved to another position', (s) => s, 4],
    ['a truncated part', (s) => s.subarray(0, 500), 3],
  ])('%s fails its tag', (_, tamper, n) => {
    const sealed = tamper(cipher.seal(3, plain));
    expect(codeOf(() => cipher.open(n, sealed, 'b'))).toBe('DECRYPTION_FAILED');
  });

  it('no key, a wrong key, an altered wrapped key or another object key: DECRYPTION_FAILED naming the key', () => {
    expect(() => PartCipher.open({ trusted: new Map() }, encryption, 'backups/b/v-b', 'b')).toThrow(/is encrypted \(master key id [0-9a-f]{16}\); configure/);
    expect(() => PartCipher.open({ trusted: new Map(), master: master() }, encryption, 'backups/b/v-b', 'b')).toThrow(/encrypted with master key id .*configured encryption key has id/);
    const w = Buffer.from(encryption.wrappedKey, 'base64');
    w[20]! ^= 1;
    expect(codeOf(() => PartCipher.open({ trusted: new Map(), master: mk }, { ...encryption, wrappedKey: w.toString('base64') }, 'backups/b/v-b', 'b'))).toBe('DECRYPTION_FAILED');
    expect(codeOf(() => PartCipher.open({ trusted: new Map(), master: mk }, encryption, 'backups/other/v-other', 'b'))).toBe('DECRYPTION_FAILED');
  });
});

describe('keyed pipelines (memory store)', () => {
  async function backup(data: Buffer, keys: Keyring) {
    const store = new MemoryStore();
    const ac = new AbortController();
    const keying = backupKeying(keys, 'obj', await loadHasher());
    const up = keying.wrap(await store.createUpload('obj'));
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += 64 * KiB) chunks.push(data.subarray(i, i + 64 * KiB));
    const r = await uploadStream(Readable.from(chunks), {
      upload: up, limits: store.limits, plan: planParts({ limits: store.limits, partSize: 256 * KiB }), concurrency: 3,
      hasher: keying.hasher, meter: new ProgressMeter({ controller: ac }), signal: ac.signal, log,
    });
    await up.complete();
    const done = keying.finish(r);
    const m = sampleManifest({
      version: keying.version, hash: keying.hash, dataKey: 'obj', size: r.size, parts: done.parts, streamHash: done.streamHash,
      ...(done.encryption ? { encryption: done.encryption } : {}),
    });
    return { store, m: parseManifest(serializeManifest(m), 'x'), bytes: keying.serialize(m) };
  }
  async function read(store: MemoryStore, m: Manifest, keys: Keyring, needPlaintext = true) {
    const ac = new AbortController();
    const rk = await readKeying(m, keys, needPlaintext);
    const out: Buffer[] = [];
    await downloadVerified({
      store, manifest: m, window: 2, hasher: rk.hasher, openPart: rk.openPart, meter: new ProgressMeter({ controller: ac }), signal: ac.signal, log,
      sink: async (d) => void out.push(Buffer.from(d)),
    });
    return Buffer.concat(out);
  }

  it('signing only: sha256 parts, the stream hash is sha256sum of the object, the manifest verifies', async () => {
    const s = signer();
    const data = randomBytes(900 * KiB + 7);
    const { store, m, bytes } = await backup(data, { ...ringOf(s), signer: s.signer });
    expect(m.version).toBe(2);
    expect(m.streamHash).toBe(createHash('sha256').update(data).digest('hex'));
    expect(m.parts[0]!.sha256).toBe(createHash('sha256').update(data.subarray(0, 256 * KiB)).digest('hex'));
    expect(authOf(openManifest(bytes, 'x', ringOf(s))).state).toBe('signed');
    expect((await read(store, m, ringOf(s))).equals(data)).toBe(true);
  });

  it('encryption: round trip, no plaintext in the object, offsets/sizes recorded, stored hashes checked', async () => {
    const mk = master();
    const data = Buffer.concat([randomBytes(300 * KiB), Buffer.from('PLAINTEXT-MARKER'.repeat(2000)), randomBytes(200 * KiB)]);
    const keys = { trusted: new Map(), master: mk };
    const { store, m } = await backup(data, keys);
    const obj = store.objects.get('obj')!;
    expect(obj.length).toBe(data.length + 16 * m.parts.length);
    expect(m.encryption!.storedSize).toBe(obj.length);
    expect(obj.includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(false);
    expect(m.streamHash).toBe(createHash('sha256').update(obj).digest('hex'));
    expect(m.parts[1]).toMatchObject({ offset: 256 * KiB, storedOffset: 256 * KiB + 16, storedSize: 256 * KiB + 16 });
    expect((await read(store, m, keys)).equals(data)).toBe(true);
    // verify without the key checks the stored hashes only; restore without it refuses up front
    expect((await read(store, m, { trusted: new Map() }, false)).length).toBe(obj.length);
    await expect(readKeying(m, { trusted: new Map() }, true)).rejects.toMatchObject({ code: 'DECRYPTION_FAILED' });
    // one flipped stored byte: the part hash catches it before decryption
    obj[300 * KiB]! ^= 1;
    await expect(read(store, m, keys)).rejects.toMatchObject({ code: 'INTEGRITY_MISMATCH' });
  });

  it('encrypted manifests validate stored offsets and sizes', async () => {
    const mk = master();
    const { m } = await backup(randomBytes(600 * KiB), { trusted: new Map(), master: mk });
    const o = JSON.parse(serializeManifest(m).toString());
    const tampered = [
      (x: any) => (x.parts[1].storedOffset += 1),
      (x: any) => (x.parts[2].storedSize -= 1),
      (x: any) => (x.encryption.storedSize += 16),
      (x: any) => (x.encryption.wrappedKey = 'A'),
      (x: any) => (x.encryption.alg = 'aes-128-cbc'),
      (x: any) => (x.version = 1),
    ];
    for (const t of tampered) {
      const c = structuredClone(o);
      t(c);
      expect(codeOf(() => parseManifest(Buffer.from(JSON.stringify(c)), 'x'))).toBe('MANIFEST_INVALID');
    }
  });
});

describe('key files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapstream-keys-'));
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('loads PEM Ed25519 keys and 32-byte master keys in raw, hex and base64', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    await fs.writeFile(path.join(dir, 's.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await fs.writeFile(path.join(dir, 'p.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const k = randomBytes(32);
    await fs.writeFile(path.join(dir, 'm.key'), k.toString('base64') + '\n');
    const ring = await loadKeyring({ signingKeyFile: path.join(dir, 's.pem'), trustedKeyFiles: [path.join(dir, 'p.pem')], encryptionKeyFile: path.join(dir, 'm.key') });
    expect(ring.signer!.keyId).toBe(publicKeyId(publicKey));
    expect([...ring.trusted.keys()]).toEqual([publicKeyId(publicKey)]);
    expect(ring.master!.key.equals(k)).toBe(true);
    expect(parseMasterKey(k, 'f').equals(k)).toBe(true);
    expect(parseMasterKey(Buffer.from(k.toString('hex') + '\n'), 'f').equals(k)).toBe(true);
    expect(() => parseMasterKey(Buffer.from('short'), 'f')).toThrow(/32-byte key.*openssl rand/);
  });

  it('refuses a wrong key type, a link to a device, a device and an oversized file, naming the file, never its contents', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await fs.writeFile(path.join(dir, 'ec.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(loadKeyring({ signingKeyFile: path.join(dir, 'ec.pem') })).rejects.toThrow(/an Ed25519 key \(it holds a ec key\)/);
    await fs.writeFile(path.join(dir, 'secret.txt'), 'TOPSECRET not a key');
    const err = await loadKeyring({ signingKeyFile: path.join(dir, 'secret.txt') }).catch((e: Error) => e);
    expect(String((err as Error).message)).toMatch(/secret\.txt.*does not hold a PEM private key/);
    expect(String((err as Error).message)).not.toContain('TOPSECRET');
    await fs.symlink('/dev/zero', path.join(dir, 'link.pem'));
    await expect(readCappedRegularFile(path.join(dir, 'link.pem'), 100, 'key file')).rejects.toThrow(/not a regular file/);
    await expect(readCappedRegularFile('/dev/zero', 100, 'key file')).rejects.toThrow(/not a regular file/);
    await fs.writeFile(path.join(dir, 'big'), Buffer.alloc(200));
    await expect(readCappedRegularFile(path.join(dir, 'big'), 100, 'key file')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(readCappedRegularFile(path.join(dir, 'none'), 100, 'key file')).rejects.toThrow(/does not exist/);
  });
});

void sha256Hasher;
