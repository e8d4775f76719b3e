import { describe, expect, it } from 'vitest';
import type { Keyring } from '../../../src/keys/keyring.js';
import { authOf, requireAuthenticated } from '../../../src/keys/manifest-auth.js';
import { sha256Hasher } from '../../../src/keys/sha256-hasher.js';
import { openManifest, signManifestBytes } from '../../../src/keys/signed-manifest.js';
import { parseManifest, serializeManifest } from '../../../src/model/manifest.js';
import { signer, ringOf, sha256Manifest, codeOf } from './fixtures.js';
import { sampleManifest } from '../model/fixtures.js';

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

void sha256Hasher;
