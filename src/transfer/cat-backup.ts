import type { Writable } from 'node:stream';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import type { Manifest } from '../model/manifest.js';
import type { RunOptions } from './backup.js';
import { type ReadVerifiedDeps, readVerified } from './read-verified.js';

/**
 * Writes a backup's verified (and, if encrypted, decrypted) stream to `out`, e.g. stdout into a stock
 * `zfs recv`. The same guarantees as restore (read-verified.ts): the last part is held back until the
 * whole-stream hash matched, so a receiver never commits a stream that fails its check.
 */
export async function catBackup(store: ObjectStore, m: Manifest, out: Writable, deps: ReadVerifiedDeps, opts: RunOptions = {}): Promise<{ bytes: number }> {
  const controller = new AbortController();
  // A reader that went away (zfs recv exited) must stop the download, not leave it hanging.
  const onOutError = (e: Error) => controller.abort(new SnapstreamError(ErrorCode.ABORTED, `output closed: ${e.message}`));
  out.on('error', onOutError);
  try {
    const sink = (data: Buffer) => new Promise<void>((resolve, reject) => out.write(data, (err) => (err ? reject(err) : resolve())));
    return await readVerified(store, m, sink, { ...deps, needPlaintext: true }, { ...opts, controller });
  } finally {
    out.off('error', onOutError);
  }
}
