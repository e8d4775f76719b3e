import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import type { ManifestDedup } from '../model/manifest-dedup.js';

const TAG_BYTES = 16;

/**
 * How a segment (or recipe chunk) becomes a content-addressed object and back. Without an encryption
 * key: id = SHA-256 of the bytes, stored as they are (like the plain layout, whose part hashes are in
 * the bucket anyway). With one: id = HMAC-SHA256 under a key derived from it, so nobody without the
 * key can probe the bucket for known content, and the bytes are stored AES-256-GCM encrypted with the
 * id's first 12 bytes as nonce. The nonce repeats only for identical plaintext (the id is a PRF of
 * it), which reveals nothing dedup does not reveal already; the tag authenticates, the id is checked
 * again after decryption.
 */
export interface SegmentCodec {
  readonly codec: ManifestDedup['codec'];
  readonly keyId?: string;
  idOf(plain: Uint8Array): string;
  seal(id: string, plain: Buffer): Buffer;
  /** The plaintext of a stored object fetched for `id`; INTEGRITY_MISMATCH / DECRYPTION_FAILED when it is not. */
  open(id: string, stored: Buffer, what: string): Buffer;
}

export const sha256Codec: SegmentCodec = {
  codec: 'sha256',
  idOf: (plain) => createHash('sha256').update(plain).digest('hex'),
  seal: (_id, plain) => plain,
  open(id, stored, what) {
    const actual = createHash('sha256').update(stored).digest('hex');
    if (actual !== id) {
      throw new SnapstreamError(ErrorCode.INTEGRITY_MISMATCH, `${what} ${id} is corrupt: its sha256 is ${actual}`, { details: { segment: id, actual } });
    }
    return stored;
  },
};

export function keyedCodec(master: NonNullable<Keyring['master']>): SegmentCodec {
  const macKey = Buffer.from(hkdfSync('sha256', master.key, Buffer.alloc(0), 'snapstream dedup segment id v1', 32));
  const encKey = Buffer.from(hkdfSync('sha256', master.key, Buffer.alloc(0), 'snapstream dedup segment enc v1', 32));
  const idOf = (plain: Uint8Array) => createHmac('sha256', macKey).update(plain).digest('hex');
  return {
    codec: 'hmac-aes',
    keyId: master.keyId,
    idOf,
    seal(id, plain) {
      const c = createCipheriv('aes-256-gcm', encKey, Buffer.from(id.slice(0, 24), 'hex'));
      return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
    },
    open(id, stored, what) {
      const fail = (why: string): never => {
        throw new SnapstreamError(ErrorCode.DECRYPTION_FAILED, `${what} ${id} ${why}`, { details: { segment: id } });
      };
      if (stored.length < TAG_BYTES) fail('is shorter than its tag');
      let plain: Buffer;
      try {
        const d = createDecipheriv('aes-256-gcm', encKey, Buffer.from(id.slice(0, 24), 'hex'));
        d.setAuthTag(stored.subarray(stored.length - TAG_BYTES));
        plain = Buffer.concat([d.update(stored.subarray(0, stored.length - TAG_BYTES)), d.final()]);
      } catch {
        return fail('does not decrypt (altered, or another encryption key)');
      }
      if (!timingSafeEqual(Buffer.from(idOf(plain), 'hex'), Buffer.from(id, 'hex'))) fail('decrypts to bytes of another id');
      return plain;
    },
  };
}

/** The codec new dedup backups use under `keys`. */
export function writeCodec(keys: Keyring | undefined): SegmentCodec {
  return keys?.master ? keyedCodec(keys.master) : sha256Codec;
}

/** The codec that reads a manifest's segments; DECRYPTION_FAILED before any fetch when the key is missing or another. */
export function readCodec(d: ManifestDedup, keys: Keyring | undefined, backup: string): SegmentCodec {
  if (d.codec === 'sha256') return sha256Codec;
  if (!keys?.master || keys.master.keyId !== d.keyId) {
    throw new SnapstreamError(
      ErrorCode.DECRYPTION_FAILED,
      `backup ${backup} is deduplicated with keyed segments of encryption key ${d.keyId}; ` +
        (keys?.master ? `the configured key is ${keys.master.keyId}` : 'no encryption key is configured (--encryption-key)'),
      { details: { backup, keyId: d.keyId } },
    );
  }
  return keyedCodec(keys.master);
}

/** Stored size of a segment of `plain` bytes. */
export function storedSizeFor(codec: SegmentCodec, plainBytes: number): number {
  return codec.codec === 'hmac-aes' ? plainBytes + TAG_BYTES : plainBytes;
}
