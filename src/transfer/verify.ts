import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, abortedError } from '../errors.js';
import type { ObjectStore } from '../store/object-store.js';
import { DEFAULT_CONCURRENCY, type RunOptions } from './backup.js';
import { downloadVerified } from './download-stream.js';
import { type Manifest, storedSizeOf } from '../model/manifest.js';
import type { Keyring } from '../keys/keyring.js';
import { requireAuthenticated } from '../keys/manifest-auth.js';
import { readKeying } from '../keys/read-keying.js';
import { ProgressMeter } from './progress.js';

export interface VerifyResult {
  backup: string;
  volume: string;
  bytes: number;
  parts: number;
  seconds: number;
}

/**
 * Downloads a backup and checks every part hash and the whole-stream hash without restoring it.
 * Throws INTEGRITY_MISMATCH / TRUNCATED naming the part, exactly as a restore would.
 */
export async function verifyBackup(
  store: ObjectStore,
  manifest: Manifest,
  deps: { log: Logger; concurrency?: number; keys?: Keyring; allowUnauthenticated?: boolean },
  opts: RunOptions = {},
): Promise<VerifyResult> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(opts.signal!.reason);
  if (opts.signal?.aborted) throw abortedError(opts.signal);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const meter = new ProgressMeter({ controller, onProgress: opts.onProgress });
  meter.estimatedBytes = manifest.size;
  const started = Date.now();
  try {
    requireAuthenticated([manifest], deps.keys, deps.allowUnauthenticated === true);
    const reader = await readKeying(manifest, deps.keys, false);
    const info = manifest.dedup ? { size: storedSizeOf(manifest) } : await store.head(manifest.dataKey, { signal: controller.signal });
    if (!info) throw new SnapstreamError(ErrorCode.NOT_FOUND, `backup ${manifest.backup}: data object ${manifest.dataKey} is missing`);
    if (info.size !== storedSizeOf(manifest)) {
      throw new SnapstreamError(ErrorCode.TRUNCATED, `backup ${manifest.backup}: data object is ${info.size} bytes, the manifest says ${storedSizeOf(manifest)}`, {
        details: { expected: storedSizeOf(manifest), actual: info.size },
      });
    }
    meter.setPhase('transfer');
    const { bytes } = await downloadVerified({
      store,
      manifest,
      window: deps.concurrency ?? DEFAULT_CONCURRENCY,
      hasher: reader.hasher,
      openPart: reader.openPart,
      dedupCodec: reader.dedupCodec,
      meter,
      signal: controller.signal,
      log: deps.log,
      sink: async () => {},
    });
    meter.setPhase('done');
    return { backup: manifest.backup, volume: manifest.volume, bytes, parts: manifest.parts.length, seconds: (Date.now() - started) / 1000 };
  } finally {
    meter.stop();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
