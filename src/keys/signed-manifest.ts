import { sign, verify } from 'node:crypto';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { MANIFEST_MAX_BYTES, type Manifest, parseManifest } from '../model/manifest.js';
import type { Keyring } from './keyring.js';
import { type ManifestAuth, setAuthOf } from './manifest-auth.js';

/**
 * A signed manifest is an envelope stored at the manifest's usual key:
 *
 *   {"format":"snapstream.signed-manifest","version":1,"alg":"ed25519","keyId":"…",
 *    "signature":"<base64>","manifest":"<the manifest's exact JSON text>"}
 *
 * The signature covers the exact bytes of the inner text (plus a domain prefix), not a re-serialized
 * object, so there is no canonical-JSON question: what was signed is what gets parsed. One object
 * keeps the manifest's write-last commit atomic (no signature file that can be missing or stale).
 */
export const SIGNED_FORMAT = 'snapstream.signed-manifest';
const DOMAIN = Buffer.from('snapstream.signed-manifest v1\0', 'utf8');

export function signManifestBytes(inner: Buffer, signer: NonNullable<Keyring['signer']>): Buffer {
  const signature = sign(null, Buffer.concat([DOMAIN, inner]), signer.key).toString('base64');
  const env = { format: SIGNED_FORMAT, version: 1, alg: 'ed25519', keyId: signer.keyId, signature, manifest: inner.toString('utf8') };
  return Buffer.from(JSON.stringify(env, null, 1) + '\n', 'utf8');
}

/**
 * Opens what is stored at a manifest key: a signed envelope or a plain manifest. With trusted keys,
 * a signature that does not verify is SIGNATURE_INVALID before the inner manifest is even parsed;
 * everything else is reported through authOf() for the caller's policy (requireAuthenticated).
 */
export function openManifest(bytes: Buffer, where: string, keys?: Keyring): Manifest {
  if (bytes.length > MANIFEST_MAX_BYTES) return parseManifest(bytes, where); // reports the size
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return parseManifest(bytes, where); // reports "not JSON"
  }
  const o = raw as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null || o.format !== SIGNED_FORMAT) {
    return setAuthOf(parseManifest(bytes, where), { state: 'unsigned' });
  }
  const bad = (why: string, code: 'MANIFEST_INVALID' | 'SIGNATURE_INVALID' = ErrorCode.MANIFEST_INVALID): never => {
    throw new SnapstreamError(code, `manifest ${where} ${why}`, { details: { manifest: where } });
  };
  if (o.version !== 1) bad(`is a signed manifest of version ${JSON.stringify(o.version)}; this snapstream reads version 1 (upgrade snapstream)`);
  if (o.alg !== 'ed25519') bad(`is signed with ${JSON.stringify(o.alg)}; only "ed25519" is accepted`);
  if (typeof o.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(o.keyId)) return bad('has an invalid "keyId" (16 lowercase hex digits expected)');
  if (typeof o.signature !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(o.signature)) return bad('has an invalid "signature" (64 bytes of base64 expected)');
  if (typeof o.manifest !== 'string') return bad('has no "manifest" text');
  const inner = Buffer.from(o.manifest, 'utf8');
  const keyId = o.keyId;
  let auth: ManifestAuth;
  const pub = keys?.trusted.get(keyId);
  if (pub) {
    if (!verify(null, Buffer.concat([DOMAIN, inner]), pub, Buffer.from(o.signature, 'base64'))) {
      bad(`has a signature by key ${keyId} that does not verify: the manifest was altered or forged; do not restore it`, ErrorCode.SIGNATURE_INVALID);
    }
    auth = { state: 'signed', keyId };
  } else {
    auth = keys && keys.trusted.size > 0 ? { state: 'untrusted-key', keyId } : { state: 'unchecked', keyId };
  }
  const m = parseManifest(inner, where);
  // A signature over XXH64 part hashes would vouch for nothing a bucket writer cannot collide.
  if (m.hash !== 'sha256') bad('is signed but its hashes are not sha256');
  return setAuthOf(m, auth);
}
