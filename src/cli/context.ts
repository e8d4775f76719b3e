import type { Logger } from 'pino';
import { createLogger } from '../log.js';
import type { LocationConfig } from '../location/location-config.js';
import { openStore } from '../location/open-store.js';
import { parseLocationUrl } from '../location/parse-location-url.js';
import type { ObjectStore } from '../store/object-store.js';
import { Zfs } from '../zfs/zfs.js';
import { type Options, type Parsed, str, usage } from './args.js';

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
  });
}

export function locationFor(command: string, url: string | undefined, flag: string): LocationConfig {
  if (!url) throw usage(command, `a location is required (${flag} file:///dir | s3://bucket/prefix?endpoint=... | gs://bucket/prefix)`);
  return parseLocationUrl(url);
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
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}
