import type { HasherFactory } from '../model/hasher.js';
import { loadHasher } from '../model/hasher.js';
import type { Manifest, ManifestPart } from '../model/manifest.js';
import type { Keyring } from './keyring.js';
import { PartCipher } from './part-cipher.js';
import { sha256Hasher } from './sha256-hasher.js';
import { type SegmentCodec, readCodec } from '../dedup/segment-codec.js';

/** What downloadVerified needs to read one backup: its hasher, and for encrypted ones the decryption. */
export interface ReadKeying {
  hasher: HasherFactory;
  openPart?: (part: ManifestPart, stored: Buffer) => Buffer;
  /** h15-dedup: a dedup backup's segment codec (keyed ones need the encryption key, checked here). */
  dedupCodec?: SegmentCodec;
}

/**
 * Prepares reading `m`. `needPlaintext` (restore, cat) requires the master key of an encrypted backup
 * and fails here, before any part is fetched, when it is missing or another key; verify passes false
 * and then checks the stored bytes' hashes without decrypting when no master key is configured.
 */
export async function readKeying(m: Manifest, keys: Keyring | undefined, needPlaintext: boolean): Promise<ReadKeying> {
  const hasher = m.hash === 'sha256' ? sha256Hasher : await loadHasher();
  if (m.dedup) return { hasher, dedupCodec: readCodec(m.dedup, keys, m.backup) };
  if (!m.encryption || (!needPlaintext && !keys?.master)) return { hasher };
  const cipher = PartCipher.open(keys, m.encryption, m.dataKey, m.backup);
  return { hasher, openPart: (p, stored) => cipher.open(p.n, stored, m.backup) };
}
