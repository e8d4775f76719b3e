import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, abortedError } from '../errors.js';
import type { Keyring } from '../keys/keyring.js';
import { requireAuthenticated } from '../keys/manifest-auth.js';
import { readKeying } from '../keys/read-keying.js';
import { type Manifest, storedSizeOf } from '../model/manifest.js';
import { DEFAULT_CONCURRENCY } from '../plan/transfer-options.js';
import type { ObjectStore } from '../store/object-store.js';
import type { RunOptions } from './backup.js';
import { downloadVerified } from './download-stream.js';
import { ProgressMeter } from './progress.js';

export interface ReadVerifiedDeps {
  log: Logger;
  keys?: Keyring;
  allowUnauthenticated?: boolean;
  /** Parts fetched ahead. Default 4. */
  concurrency?: number;
  /** Fail with STALLED when nothing moved for this long; undefined or 0 = never. */
  stallTimeoutMs?: number;
}

/**
 * Fails before any part is fetched when a backup's stream object is missing or not the size its
 * manifest records, so a truncated or absent object is named up front, not found half-way.
 */
export async function checkStoredObject(store: ObjectStore, m: Manifest, signal: AbortSignal): Promise<void> {
  // h15-dedup: a dedup backup has no stream object; every segment is checked as it is fetched.
  if (m.dedup) return;
  const info = await store.head(m.dataKey, { signal });
  if (!info) throw new SnapstreamError(ErrorCode.NOT_FOUND, `backup ${m.backup}: data object ${m.dataKey} is missing in ${store.describe()}`);
  if (info.size !== storedSizeOf(m)) {
    throw new SnapstreamError(ErrorCode.TRUNCATED, `backup ${m.backup}: data object ${m.dataKey} is ${info.size} bytes, the manifest says ${storedSizeOf(m)}`, {
      details: { expected: storedSizeOf(m), actual: info.size },
    });
  }
}

/**
 * Reads one backup's stream through every check into `sink`: authentication before any part is
 * fetched, the object's size, each part's hash before its first byte reaches the sink, and the
 * whole-stream hash before the last part does. verify (a sink that drops the bytes) and cat (stdout)
 * are this with different sinks; `needPlaintext` says whether encrypted parts must be decrypted.
 */
export async function readVerified(
  store: ObjectStore,
  m: Manifest,
  sink: (data: Buffer) => Promise<void>,
  deps: ReadVerifiedDeps & { needPlaintext: boolean },
  opts: RunOptions & { controller?: AbortController } = {},
): Promise<{ bytes: number }> {
  requireAuthenticated([m], deps.keys, deps.allowUnauthenticated === true);
  const reader = await readKeying(m, deps.keys, deps.needPlaintext);
  const controller = opts.controller ?? new AbortController();
  const onAbort = () => controller.abort(opts.signal!.reason);
  if (opts.signal?.aborted) throw abortedError(opts.signal);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const meter = new ProgressMeter({ controller, onProgress: opts.onProgress, stallTimeoutMs: deps.stallTimeoutMs ?? 0 });
  meter.estimatedBytes = m.size;
  try {
    await checkStoredObject(store, m, controller.signal);
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
      sink,
    });
    meter.setPhase('done');
    return r;
  } finally {
    meter.stop();
    opts.signal?.removeEventListener('abort', onAbort);
  }
}
