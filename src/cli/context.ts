import type { Logger } from 'pino';
import { jsonSafe } from '../printable.js';
import { createLogger } from '../log.js';
import type { LocationConfig } from '../location/location-config.js';
import { openStore } from '../location/open-store.js';
import { parseLocationUrl } from '../location/parse-location-url.js';
import type { LocationBehaviour } from '../config/location-settings.js';
import type { ObjectStore } from '../store/object-store.js';
import { Zfs } from '../zfs/zfs.js';
import { type Options, type Parsed, str, usage } from './args.js';
import { locationForms } from '../store/store-registry.js';

/** Flags shared by the commands that touch ZFS. */
export const ZFS_FLAGS: Options = {
  'zfs-binary': { type: 'string' },
  'allowed-pools': { type: 'string' },
};

export function loggerFor(p: Parsed): Logger {
  const level = p.values.verbose ? 'debug' : p.values.quiet ? 'error' : process.stderr.isTTY ? 'error' : undefined;
  return createLogger({ level });
}

export function zfsFor(p: Parsed, log: Logger): Zfs {
  const pools = str(p, 'allowed-pools') ?? process.env.SNAPSTREAM_ALLOWED_POOLS ?? '';
  return new Zfs({
    binary: str(p, 'zfs-binary') ?? process.env.SNAPSTREAM_ZFS_BINARY ?? 'zfs',
    allowedPools: pools.split(',').map((s) => s.trim()).filter(Boolean),
    log,
    env: process.env,
  });
}

export interface ResolvedLocation {
  location: LocationConfig;
  /** Set when the location came from a VolumeSnapshotLocation / config file: its seed flags apply. */
  behaviour?: LocationBehaviour;
}

/**
 * A location is a URL, or a YAML file holding a Velero VolumeSnapshotLocation (or a snapstream config
 * file), written `FILE.yaml` when it defines one location, `FILE.yaml#NAME` to pick one of several.
 */
export async function locationFor(command: string, text: string | undefined, flag: string): Promise<ResolvedLocation> {
  if (!text) {
    throw usage(command, `a location is required (${flag} ${locationForms()} | vsl.yaml)`);
  }
  const m = /^(?!\w+:\/\/)(.+\.ya?ml)(?:#(.+))?$/.exec(text);
  if (!m) return { location: parseLocationUrl(text) };
  const [, file, name] = m as unknown as [string, string, string | undefined];
  // Loaded only for a YAML location: the config reader pulls in `yaml` (~70 modules, ~9 MiB, 40 ms).
  const { loadConfigFiles } = await import('../config/load-config.js');
  const cfg = await loadConfigFiles([file]);
  const found = name === undefined ? cfg.locations : cfg.locations.filter((l) => l.name === name);
  const names = cfg.locations.map((l) => l.name).join(', ') || 'none';
  if (found.length === 0) {
    throw usage(command, name === undefined ? `${file} defines no location (a VolumeSnapshotLocation or a snapstream config with locations)` : `${file} has no location named "${name}" (it has: ${names})`);
  }
  if (found.length > 1) throw usage(command, `${file} defines ${found.length} locations (${names}); pick one with ${flag} ${file}#NAME`);
  return { location: found[0]!.location, behaviour: found[0]!.behaviour };
}

export async function storeFor(loc: LocationConfig, log: Logger): Promise<ObjectStore> {
  return openStore(loc, { log });
}

/** Aborts on Ctrl-C / SIGTERM so transfers clean up (abort the upload, kill zfs) before exiting. */
export function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  const on = (sig: string) => () => ac.abort(new Error(`interrupted by ${sig}`));
  const onInt = on('SIGINT');
  const onTerm = on('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

export function printJson(v: unknown): void {
  process.stdout.write(jsonSafe(JSON.stringify(v, null, 2)) + '\n');
}
