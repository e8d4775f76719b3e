import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { backupKeying } from '../../../src/keys/backup-keying.js';
import type { Keyring } from '../../../src/keys/keyring.js';
import { authOf } from '../../../src/keys/manifest-auth.js';
import { readKeying } from '../../../src/keys/read-keying.js';
import { sha256Hasher } from '../../../src/keys/sha256-hasher.js';
import { openManifest } from '../../../src/keys/signed-manifest.js';
import { downloadVerified } from '../../../src/transfer/download-stream.js';
import { loadHasher } from '../../../src/model/hasher.js';
import { type Manifest, parseManifest, serializeManifest } from '../../../src/model/manifest.js';
import { planParts } from '../../../src/plan/part-plan.js';
import { ProgressMeter } from '../../../src/transfer/progress.js';
import { uploadStream } from '../../../src/transfer/upload-stream.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { signer, ringOf, master, codeOf } from './fixtures.js';
import { sampleManifest } from '../model/fixtures.js';

const log = pino({ level: 'silent' });
const KiB = 1024;

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

void sha256Hasher;
