import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PartCipher } from '../../../src/keys/part-cipher.js';
import { sha256Hasher } from '../../../src/keys/sha256-hasher.js';
import { master, codeOf } from './fixtures.js';

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

void sha256Hasher;
