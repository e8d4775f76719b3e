import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicKeyId } from '../../../src/keys/keyring.js';
import { loadKeyring, parseMasterKey } from '../../../src/keys/load-keyring.js';
import { sha256Hasher } from '../../../src/keys/sha256-hasher.js';
import { readCappedRegularFile } from '../../../src/util/read-capped-file.js';

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
