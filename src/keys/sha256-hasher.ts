import { createHash } from 'node:crypto';
import type { HasherFactory } from '../model/hasher.js';

/**
 * SHA-256 behind the pipeline's hasher interface. Used whenever a key is configured: a signed manifest
 * vouches for its part hashes, so they must be collision resistant (XXH64 is not: a bucket writer can
 * make a second stream with the same XXH64). The whole-stream digest equals `sha256sum` of the object.
 * BLAKE3 would be faster, but no well-kept native package is available here (see docs/keys.md).
 */
export const sha256Hasher: HasherFactory = {
  impl: 'node:crypto',
  algorithm: 'sha256',
  create() {
    const h = createHash('sha256');
    return { update: (d) => void h.update(d), digestHex: () => h.digest('hex') };
  },
  hashHex: (d) => createHash('sha256').update(d).digest('hex'),
};
