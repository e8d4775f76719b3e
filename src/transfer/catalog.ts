import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { ObjectInfo, ObjectStore } from '../store/object-store.js';
import { printableLine } from '../printable.js';
import { readSmallObject } from './download-stream.js';
import { type Layout, backupOfKey, backupsPrefix, dataKeyFor, isDataKey, isManifestKey, volumeOfDataKey } from '../model/layout.js';
import { MANIFEST_MAX_BYTES, type Manifest, manifestKeyFor } from '../model/manifest.js';
import type { Keyring } from '../keys/keyring.js';
import { openManifest } from '../keys/signed-manifest.js';

/**
 * What a location holds. Backups exist only through their manifests; stream objects without one are
 * reported separately (an upload that never committed, or a legacy object from the stock plugin).
 */
export interface Catalog {
  backups: Manifest[];
  /** Data objects with no manifest: legacy (stock plugin) or leftovers. */
  unmanaged: Array<ObjectInfo & { backup: string; volume?: string }>;
  /** Manifests that failed validation (listed, never restored). */
  invalid: Array<{ key: string; error: string }>;
}

/**
 * Reads one backup's manifest. With `keys`, a signature is checked (SIGNATURE_INVALID if forged);
 * whether the manifest is authenticated is then authOf(m) (src/keys/manifest-auth.ts).
 */
export async function readManifest(store: ObjectStore, layout: Layout, backup: string, volume: string, signal?: AbortSignal, keys?: Keyring): Promise<Manifest> {
  const key = manifestKeyFor(dataKeyFor(layout, backup, volume));
  let bytes: Buffer;
  try {
    bytes = await readSmallObject(store, key, MANIFEST_MAX_BYTES, signal);
  } catch (e) {
    if (e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND) {
      throw new SnapstreamError(
        ErrorCode.NOT_FOUND,
        `backup ${backup} of volume ${volume} not found in ${store.describe()} (no manifest at ${key}; run "snapstream ls" to see what is there)`,
        { details: { backup, volume } },
      );
    }
    throw e;
  }
  const m = openManifest(bytes, `${store.describe()}/${key}`, keys);
  if (m.backup !== backup || m.volume !== volume || m.dataKey !== dataKeyFor(layout, backup, volume)) {
    throw new SnapstreamError(ErrorCode.MANIFEST_INVALID, `manifest ${key} describes backup ${m.backup} of volume ${m.volume} at ${m.dataKey}, not what its key says`);
  }
  return m;
}

export interface ListOptions {
  volume?: string;
  backup?: string;
  signal?: AbortSignal;
  log?: Logger;
  /** Trusted keys: forged signatures make a manifest invalid; authOf(m) tells signed from unsigned. */
  keys?: Keyring;
}

export async function listBackups(store: ObjectStore, layout: Layout, opts: ListOptions = {}): Promise<Catalog> {
  const prefix = backupsPrefix(layout) + (opts.backup ? opts.backup + '/' : '');
  const manifestKeys: string[] = [];
  const data = new Map<string, ObjectInfo>();
  for await (const o of store.list(prefix, { signal: opts.signal })) {
    if (isManifestKey(o.key)) manifestKeys.push(o.key);
    else if (isDataKey(o.key)) data.set(o.key, o);
  }
  const backups: Manifest[] = [];
  const invalid: Catalog['invalid'] = [];
  // Manifests are small; read a few at a time.
  const queue = [...manifestKeys];
  const worker = async () => {
    for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
      try {
        const m = openManifest(await readSmallObject(store, key, MANIFEST_MAX_BYTES, opts.signal), key, opts.keys);
        // Bound to its key: a manifest planted under another backup's (or volume's) key that claims
        // to be "s1" must not shadow or duplicate the real s1 (nor feed chain planning).
        if (manifestKeyFor(m.dataKey) !== key) throw new Error(`its dataKey ${m.dataKey} does not match its own key`);
        if (dataKeyFor(layout, m.backup, m.volume) !== m.dataKey) {
          throw new Error(`it claims to be backup ${m.backup} of volume ${m.volume}, whose key is ${manifestKeyFor(dataKeyFor(layout, m.backup, m.volume))}, not this one`);
        }
        if (opts.volume && m.volume !== opts.volume) continue;
        backups.push(m);
        data.delete(m.dataKey);
      } catch (e) {
        if (e instanceof SnapstreamError && e.code === ErrorCode.ABORTED) throw e;
        invalid.push({ key, error: (e as Error).message });
        opts.log?.warn({ key: printableLine(key), err: printableLine((e as Error).message) }, 'ignoring invalid manifest');
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  for (const key of manifestKeys) data.delete(key.slice(0, -'.snapstream.json'.length));
  const unmanaged: Catalog['unmanaged'] = [];
  for (const o of data.values()) {
    const backup = backupOfKey(layout, o.key);
    if (!backup) continue;
    const volume = volumeOfDataKey(layout, o.key, backup);
    if (opts.volume && volume !== opts.volume) continue;
    unmanaged.push({ ...o, backup, volume });
  }
  backups.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt) || a.backup.localeCompare(b.backup));
  unmanaged.sort((a, b) => a.key.localeCompare(b.key));
  return { backups, unmanaged, invalid };
}

/**
 * Deletes a backup: the manifest first, so the backup stops existing for listing and restore at once,
 * then the data. A crash in between leaves an unmanaged object that `ls --all` shows, never a
 * manifest without its data.
 */
export async function deleteBackup(store: ObjectStore, m: Manifest, signal?: AbortSignal): Promise<void> {
  await store.delete(manifestKeyFor(m.dataKey), { signal });
  await store.delete(m.dataKey, { signal });
}
