import { ErrorCode, SnapstreamError } from '../errors.js';
import type { Manifest } from '../model/manifest.js';
import { type Keyring, requiresAuthentication } from './keyring.js';

/**
 * How a manifest was authenticated when it was read:
 * - signed: its Ed25519 signature verified against a trusted key;
 * - unchecked: it carries a signature, but this process trusts no key, so nothing was checked;
 * - untrusted-key: signed by a key that is not (or no longer) trusted;
 * - unsigned: written without a signing key (or by a snapstream before signing existed).
 */
export type ManifestAuth =
  | { state: 'signed'; keyId: string }
  | { state: 'unchecked'; keyId: string }
  | { state: 'untrusted-key'; keyId: string }
  | { state: 'unsigned' };

/**
 * Kept beside the manifest object rather than in it, so it is never serialized or forged in: a copy
 * (`{...m}`) or a manifest built elsewhere has no entry and counts as unsigned (fails closed).
 */
const authOfManifest = new WeakMap<Manifest, ManifestAuth>();

export function setAuthOf(m: Manifest, a: ManifestAuth): Manifest {
  authOfManifest.set(m, a);
  return m;
}

export function authOf(m: Manifest): ManifestAuth {
  return authOfManifest.get(m) ?? { state: 'unsigned' };
}

/** One word for listings: "signed", "signed?" (unchecked), "untrusted" or "unsigned". */
export function authLabel(a: ManifestAuth): string {
  switch (a.state) {
    case 'signed':
      return 'signed';
    case 'unchecked':
      return 'signed?';
    case 'untrusted-key':
      return 'untrusted';
    default:
      return 'unsigned';
  }
}

/**
 * An object without a manifest (stock plugin) has nothing that could be signed: with trusted keys it
 * is refused like an unsigned backup, unless the caller accepts unauthenticated backups.
 */
export function requireAuthenticatedLegacy(backup: string, volume: string, keys: Keyring | undefined, allowUnauthenticated: boolean): void {
  if (!requiresAuthentication(keys) || allowUnauthenticated) return;
  throw new SnapstreamError(
    ErrorCode.UNAUTHENTICATED,
    `backup ${backup} of volume ${volume} has no manifest, so no signature; refusing it because trusted keys are configured. ` +
      'Accept it anyway only if you know where it came from: --allow-unauthenticated (allowUnauthenticated)',
    { details: { backup, volume, auth: 'unsigned' } },
  );
}

/**
 * The gate in front of every reader that moves bytes (verify, restore, cat): with trusted keys
 * configured, each manifest must be signed by one of them, unless the caller explicitly accepts
 * unauthenticated backups. Runs before any part is fetched.
 */
export function requireAuthenticated(manifests: Manifest[], keys: Keyring | undefined, allowUnauthenticated: boolean): void {
  if (!requiresAuthentication(keys) || allowUnauthenticated) return;
  for (const m of manifests) {
    const a = authOf(m);
    if (a.state === 'signed') continue;
    const why =
      a.state === 'untrusted-key'
        ? `is signed by key ${a.keyId}, which is not among the trusted keys (${[...keys!.trusted.keys()].join(', ')}); trust that key (--trusted-key) if it is yours`
        : 'has no signature (written without a signing key)';
    throw new SnapstreamError(
      ErrorCode.UNAUTHENTICATED,
      `backup ${m.backup} of volume ${m.volume} ${why}; refusing it because trusted keys are configured. ` +
        'Accept it anyway only if you know where it came from: --allow-unauthenticated (allowUnauthenticated)',
      { details: { backup: m.backup, volume: m.volume, auth: a.state } },
    );
  }
}
