import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { type Keyring, masterKeyId, publicKeyId } from '../../../src/keys/keyring.js';
import type { Manifest } from '../../../src/model/manifest.js';
import { sampleManifest } from '../model/fixtures.js';

/** A fresh Ed25519 signing key and its public half. */
export function signer() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { signer: { keyId: publicKeyId(privateKey), key: privateKey }, publicKey };
}
export function ringOf(...pubs: ReturnType<typeof signer>[]): Keyring {
  return { trusted: new Map(pubs.map((p) => [p.signer.keyId, p.publicKey])) };
}
export function master(): NonNullable<Keyring['master']> {
  const key = randomBytes(32);
  return { keyId: masterKeyId(key), key };
}
export function sha256Manifest(over: Partial<Manifest> = {}): Manifest {
  return sampleManifest({
    version: 2, hash: 'sha256', streamHash: 'c'.repeat(64),
    parts: [{ n: 1, offset: 0, size: 20, sha256: 'a'.repeat(64) }, { n: 2, offset: 20, size: 10, sha256: 'b'.repeat(64) }],
    ...over,
  });
}
/** The error code f throws, or 'no error'. */
export const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
};
