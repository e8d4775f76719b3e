import { type KeyObject, createHash, createPublicKey } from 'node:crypto';

/**
 * The keys a process holds, as validated data (load-keyring.ts builds it from files). None of them is
 * ever stored in the bucket: that is the point. A restore-only node holds just `trusted` public keys.
 */
export interface Keyring {
  /** Ed25519 private key that signs every new manifest (writers only). */
  signer?: { keyId: string; key: KeyObject };
  /**
   * Public keys whose signatures are accepted, by key id. Non-empty means authentication is required:
   * ls/verify/restore/cat refuse forged manifests and, without the opt-in, unsigned ones. The signer's
   * own public key is always in here.
   */
  trusted: Map<string, KeyObject>;
  /** AES-256 master key: new backups are encrypted; encrypted backups can be read. */
  master?: { keyId: string; key: Buffer };
}

export const EMPTY_KEYRING: Keyring = { trusted: new Map() };

/** Whether manifests must carry a trusted signature to be used. */
export function requiresAuthentication(k: Keyring | undefined): boolean {
  return k !== undefined && k.trusted.size > 0;
}

/**
 * A public key's id: the first 16 hex digits of SHA-256 over its SPKI DER encoding, so the same key
 * has the same id whichever file (PEM of the private or the public half) it was loaded from.
 */
export function publicKeyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex').slice(0, 16);
}

/** A master key's id, recorded in encrypted manifests so a wrong key is named, not just "failed". */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('snapstream master key id\0').update(key).digest('hex').slice(0, 16);
}
