import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, abortedError } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import { requireAuthenticated } from '../keys/manifest-auth.js';
import { readKeying } from '../keys/read-keying.js';
import type { ObjectStore } from '../store/object-store.js';
import { DEFAULT_CONCURRENCY, type RunOptions } from './backup.js';
import { downloadVerified } from './download-stream.js';
import { type Manifest, storedSizeOf } from '../model/manifest.js';
import { ProgressMeter } from './progress.js';

/**
 * Writes a backup's verified (and, if encrypted, decrypted) stream to `out`, e.g. stdout into a stock
 * `zfs recv`. The same guarantees as restore: authentication is checked before any part is fetched,
 * each part's hash before its first byte is written, and the last part is held back until the
 * whole-stream hash matched, so a receiver never commits a stream that fails its check.
 */
export async function catBackup(
  store: ObjectStore,
  m: Manifest,
  out: Writable,
  deps: { log: Logger; keys?: Keyring; allowUnauthenticated?: boolean; concurrency?: number },
  opts: RunOptions = {},
): Promise<{ bytes: number }> {
  requireAuthenticated([m], deps.keys, deps.allowUnauthenticated === true);
  const reader = await readKeying(m, deps.keys, true);
  const controller = new AbortController();
  const onAbort = () => controller.abort(opts.signal!.reason);
  if (opts.signal?.aborted) throw abortedError(opts.signal);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  // A reader that went away (zfs recv exited) must stop the download, not leave it hanging.
  const onOutError = (e: Error) => controller.abort(new SnapstreamError(ErrorCode.ABORTED, `output closed: ${e.message}`));
  out.on('error', onOutError);
  const meter = new ProgressMeter({ controller, onProgress: opts.onProgress });
  meter.estimatedBytes = m.size;
  try {
    const info = m.dedup ? { size: storedSizeOf(m) } : await store.head(m.dataKey, { signal: controller.signal });
    if (!info) throw new SnapstreamError(ErrorCode.NOT_FOUND, `backup ${m.backup}: data object ${m.dataKey} is missing`);
    if (info.size !== storedSizeOf(m)) {
      throw new SnapstreamError(ErrorCode.TRUNCATED, `backup ${m.backup}: data object is ${info.size} bytes, the manifest says ${storedSizeOf(m)}`, {
        details: { expected: storedSizeOf(m), actual: info.size },
      });
    }
    meter.setPhase('transfer');
    const r = await downloadVerified({
      store,
      manifest: m,
      window: deps.concurrency ?? DEFAULT_CONCURRENCY,
      hasher: reader.hasher,
      openPart: reader.openPart,
      dedupCodec: reader.dedupCodec,
      meter,
      signal: controller.signal,
      log: deps.log,
      sink: (data) =>
        new Promise<void>((resolve, reject) => {
          out.write(data, (err) => (err ? reject(err) : resolve()));
        }),
    });
    meter.setPhase('done');
    return r;
  } finally {
    meter.stop();
    out.off('error', onOutError);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
