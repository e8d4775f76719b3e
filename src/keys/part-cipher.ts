import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { type ManifestEncryption, PART_TAG_BYTES } from '../model/manifest.js';
import type { Keyring } from './keyring.js';

/**
 * AES-256-GCM per part, under a random data key per backup that the master key wraps (also
 * AES-256-GCM, with a random IV, bound to the object's key as AAD). The nonce of part n is n itself
 * (4 zero bytes + 64-bit big-endian n): unique within a backup, and the data key is unique per backup,
 * so no (key, nonce) pair ever repeats; and a part moved to another position fails its tag.
 * A part is stored as ciphertext || 16-byte tag, the same length as its plaintext plus 16.
 */
const PART_AAD = Buffer.from('snapstream part v1', 'utf8');
const WRAP_AAD = 'snapstream data key v1\0';

export class PartCipher {
  private constructor(private readonly dataKey: Buffer) {}

  /** A fresh data key for a new backup, and its wrapped form for the manifest. */
  static create(master: NonNullable<Keyring['master']>, objectKey: string, storedSize = 0): { cipher: PartCipher; encryption: ManifestEncryption } {
    const dataKey = randomBytes(32);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', master.key, iv);
    c.setAAD(Buffer.from(WRAP_AAD + objectKey, 'utf8'));
    const wrapped = Buffer.concat([iv, c.update(dataKey), c.final(), c.getAuthTag()]);
    return { cipher: new PartCipher(dataKey), encryption: { alg: 'aes-256-gcm', keyId: master.keyId, wrappedKey: wrapped.toString('base64'), storedSize } };
  }

  /** Unwraps an encrypted backup's data key; DECRYPTION_FAILED names what is missing or wrong. */
  static open(keys: Keyring | undefined, enc: ManifestEncryption, objectKey: string, backup: string): PartCipher {
    const master = keys?.master;
    if (!master) {
      throw new SnapstreamError(
        ErrorCode.DECRYPTION_FAILED,
        `backup ${backup} is encrypted (master key id ${enc.keyId}); configure that encryption key (--encryption-key FILE / SNAPSTREAM_ENCRYPTION_KEY_FILE)`,
        { details: { backup, keyId: enc.keyId } },
      );
    }
    if (master.keyId !== enc.keyId) {
      throw new SnapstreamError(
        ErrorCode.DECRYPTION_FAILED,
        `backup ${backup} was encrypted with master key id ${enc.keyId}, but the configured encryption key has id ${master.keyId}; configure the key it was written with`,
        { details: { backup, keyId: enc.keyId, configuredKeyId: master.keyId } },
      );
    }
    const w = Buffer.from(enc.wrappedKey, 'base64');
    try {
      const d = createDecipheriv('aes-256-gcm', master.key, w.subarray(0, 12));
      d.setAAD(Buffer.from(WRAP_AAD + objectKey, 'utf8'));
      d.setAuthTag(w.subarray(44, 60));
      const dataKey = Buffer.concat([d.update(w.subarray(12, 44)), d.final()]);
      return new PartCipher(dataKey);
    } catch (e) {
      throw new SnapstreamError(ErrorCode.DECRYPTION_FAILED, `backup ${backup}: its wrapped data key does not open with the configured encryption key (altered manifest?)`, {
        cause: e,
        details: { backup },
      });
    }
  }

  /** Ciphertext || tag of part n (1-based). Deterministic, so a retried upload resends the same bytes. */
  seal(n: number, plain: Uint8Array): Buffer {
    const c = createCipheriv('aes-256-gcm', this.dataKey, nonceFor(n));
    c.setAAD(PART_AAD);
    const out = Buffer.allocUnsafeSlow(plain.length + PART_TAG_BYTES);
    const body = c.update(plain);
    body.copy(out, 0);
    const fin = c.final();
    fin.copy(out, body.length);
    c.getAuthTag().copy(out, plain.length);
    return out;
  }

  /** Plaintext of part n from its stored ciphertext || tag; DECRYPTION_FAILED on a bad tag. */
  open(n: number, stored: Uint8Array, backup: string): Buffer {
    if (stored.length < PART_TAG_BYTES) {
      throw new SnapstreamError(ErrorCode.DECRYPTION_FAILED, `backup ${backup}: part ${n} is ${stored.length} bytes stored, shorter than its tag`);
    }
    const size = stored.length - PART_TAG_BYTES;
    const d = createDecipheriv('aes-256-gcm', this.dataKey, nonceFor(n));
    d.setAAD(PART_AAD);
    d.setAuthTag(stored.subarray(size));
    const body = d.update(stored.subarray(0, size));
    try {
      d.final();
    } catch (e) {
      throw new SnapstreamError(ErrorCode.DECRYPTION_FAILED, `backup ${backup}: part ${n} fails its authentication tag: the stored ciphertext was altered`, {
        cause: e,
        details: { part: n },
      });
    }
    return body;
  }
}

function nonceFor(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 1) throw new SnapstreamError(ErrorCode.INTERNAL, `part number ${n} is not a positive integer`);
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(BigInt(n), 4);
  return iv;
}
