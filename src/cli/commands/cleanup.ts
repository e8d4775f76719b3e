import { parse, str, usage } from '../args.js';
import { ZFS_FLAGS, interruptSignal, locationFor, loggerFor, printJson, storeFor, zfsFor } from '../context.js';
import { parseGoDuration } from '../../parse/parse-duration.js';
import { formatReport, runRecovery } from '../../recovery/run-recovery.js';
import type { ObjectStore } from '../../store/object-store.js';
import { backupsPrefix } from '../../model/layout.js';
import { parseDatasetName } from '../../zfs/names.js';

export const CLEANUP_HELP = `Usage: snapstream cleanup [LOCATION] [--pool POOL | --dataset DATASET]... [options]

Removes what interrupted snapstream runs left behind, and only that (recognised by exact name
patterns plus the io.snapstream:* properties snapstream sets on what it creates):
  LOCATION   unfinished multipart uploads (S3), temp files (local store), abandoned compose parts
             (GCS) and stale progress records older than --older-than; an upload a younger progress
             record names is kept, so a retried backup can still resume it
  --pool / --dataset
             staging copies of forced restores (<target>-snapstream-restore-<hex>), old targets of
             interrupted swaps (<target>-snapstream-old-<hex>: moved back or destroyed, so the target
             always exists), half-received restores older than --older-than
Reports every name removed, renamed or kept, and why.

Options:
  --pool POOL, --dataset DATASET   ZFS subtree(s) to scan (repeatable)
  --older-than DURATION            grace period, a Go duration (default 24h)
  --dry-run                        only report what would be done
  --json                           print the report as JSON
  --zfs-binary PATH, --allowed-pools LIST, -v, -q
`;

export async function cleanupCommand(argv: string[]): Promise<number> {
  const p = parse('cleanup', argv, {
    pool: { type: 'string', multiple: true },
    dataset: { type: 'string', multiple: true },
    'older-than': { type: 'string' },
    'dry-run': { type: 'boolean' },
    ...ZFS_FLAGS,
  }, 1);
  if (p.values.help) {
    process.stdout.write(CLEANUP_HELP);
    return 0;
  }
  const roots = [...((p.values.pool as string[] | undefined) ?? []), ...((p.values.dataset as string[] | undefined) ?? [])].map((r) => parseDatasetName(r));
  if (p.positionals.length === 0 && roots.length === 0) {
    throw usage('cleanup', 'nothing to clean: give a LOCATION (store side) and/or --pool/--dataset (ZFS side)');
  }
  const olderThan = str(p, 'older-than');
  const graceSeconds = olderThan === undefined ? 24 * 3600 : Math.floor(parseGoDuration('--older-than', olderThan) / 1000);
  const log = loggerFor(p);
  const zfs = roots.length ? zfsFor(p, log) : undefined;
  for (const r of roots) zfs!.checkAllowed(r);
  let store: ObjectStore | undefined;
  let storePrefix: string | undefined;
  if (p.positionals[0] !== undefined) {
    const { location } = await locationFor('cleanup', p.positionals[0], 'LOCATION');
    storePrefix = backupsPrefix(location.layout);
    store = await storeFor(location, log);
  }
  const { signal, dispose } = interruptSignal();
  try {
    const report = await runRecovery({ zfs, roots, store, storePrefix, graceSeconds, dryRun: p.values['dry-run'] === true, signal, log });
    if (p.values.json) printJson(report);
    else process.stdout.write(formatReport(report));
    return report.summary.failed > 0 ? 1 : 0;
  } finally {
    dispose();
    await store?.close();
  }
}
