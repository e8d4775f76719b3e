import type { ObjectStore } from '../store/object-store.js';
import type { Manifest } from '../model/manifest.js';
import type { RunOptions } from './backup.js';
import { type ReadVerifiedDeps, readVerified } from './read-verified.js';

export interface VerifyResult {
  backup: string;
  volume: string;
  bytes: number;
  parts: number;
  seconds: number;
}

/**
 * Downloads a backup and checks every part hash and the whole-stream hash without restoring it.
 * Throws INTEGRITY_MISMATCH / TRUNCATED naming the part, exactly as a restore would. Without a
 * master key an encrypted backup's stored bytes are checked without decrypting them.
 */
export async function verifyBackup(store: ObjectStore, manifest: Manifest, deps: ReadVerifiedDeps, opts: RunOptions = {}): Promise<VerifyResult> {
  const started = Date.now();
  const { bytes } = await readVerified(store, manifest, async () => {}, { ...deps, needPlaintext: false }, opts);
  return { backup: manifest.backup, volume: manifest.volume, bytes, parts: manifest.parts.length, seconds: (Date.now() - started) / 1000 };
}
