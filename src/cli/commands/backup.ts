import { int, parse, required, str, usage } from '../args.js';
import { ZFS_FLAGS, interruptSignal, locationFor, loggerFor, printJson, storeFor, zfsFor } from '../context.js';
import { fmtBytes, progressReporter } from '../progress-bar.js';
import { parseQuantityBytes } from '../../parse/parse-quantity.js';
import { transferTuningFrom } from '../../transfer/transfer-tuning.js';
import { parseSnapshotName, parseSnapshotShortName } from '../../zfs/names.js';
import { runBackup } from '../../transfer/backup.js';
import { KEY_FLAGS, KEY_HELP, keyringFor } from '../key-flags.js';
import { locationForms } from '../../store/store-registry.js';

export const BACKUP_HELP = `Usage: snapstream backup POOL/DATASET@SNAPSHOT --to LOCATION [options]

Streams a ZFS snapshot to a location: zfs send -> hashed parts -> multipart upload -> manifest.
Full by default; incremental with --from. Nothing is listed as a backup until it fully committed.

Options:
  --to LOCATION          ${locationForms()} | vsl.yaml[#NAME]
  --from SNAPSHOT        incremental base snapshot (name after "@", or pool/ds@snap)
  --full                 send a full stream even if --from is given (disableIncrementalBackups)
  --create-snapshot      create the snapshot first (fails if it exists)
  --backup NAME          backup name (default: the snapshot name)
  --volume NAME          volume name in object keys (default: last component of the dataset)
  --schedule NAME        schedule that made this backup (recorded in the manifest)
  --previous-backup NAME backup holding the base stream (recorded for chain restores)
  --part-size SIZE       initial part size, e.g. 64Mi (default: 8Mi, more for large estimates)
  --concurrency N        parts uploaded at once (default 4); memory ~ (N+1) x part size
  --rate-limit SIZE      average bytes per second, e.g. 100Mi
  --stall-timeout SECS   fail when nothing moved for this long (default 300, 0 = never)
  --zfs-binary PATH      zfs command to run (default: zfs on PATH; env SNAPSTREAM_ZFS_BINARY)
  --allowed-pools LIST   comma-separated pools this command may touch (env SNAPSTREAM_ALLOWED_POOLS)
  --dedup                deduplicated layout: only segments not yet stored travel (docs/dedup.md);
                         also the location's dedup=true. --plain overrides a location's dedup=true
  --json                 print the manifest as JSON on stdout
${KEY_HELP}  -v, --verbose | -q, --quiet
`;

export async function backupCommand(argv: string[]): Promise<number> {
  const p = parse('backup', argv, {
    to: { type: 'string' },
    from: { type: 'string' },
    full: { type: 'boolean' },
    'create-snapshot': { type: 'boolean' },
    backup: { type: 'string' },
    volume: { type: 'string' },
    schedule: { type: 'string' },
    'previous-backup': { type: 'string' },
    'part-size': { type: 'string' },
    concurrency: { type: 'string' },
    'rate-limit': { type: 'string' },
    'stall-timeout': { type: 'string' },
    dedup: { type: 'boolean' },
    plain: { type: 'boolean' },
    ...ZFS_FLAGS,
    ...KEY_FLAGS,
  }, 1);
  if (p.values.help) {
    process.stdout.write(BACKUP_HELP);
    return 0;
  }
  const source = p.positionals[0];
  if (!source) throw usage('backup', 'which snapshot? give POOL/DATASET@SNAPSHOT');
  const { dataset, snapshot } = parseSnapshotName(source);
  const { location: loc, behaviour } = await locationFor('backup', required('backup', p, 'to', 'where to store the backup'), '--to');
  let from = str(p, 'from');
  if (from !== undefined) {
    const at = from.indexOf('@');
    if (at >= 0) {
      const base = parseSnapshotName(from);
      if (base.dataset !== dataset) throw usage('backup', `--from ${from} is a snapshot of another dataset than ${dataset}`);
      from = base.snapshot;
    } else {
      from = parseSnapshotShortName(from);
    }
  }
  const keys = await keyringFor(p);
  const log = loggerFor(p);
  const zfs = zfsFor(p, log);
  const store = await storeFor(loc, log);
  const partSize = str(p, 'part-size') !== undefined ? parseQuantityBytes('--part-size', str(p, 'part-size')!) : loc.partSize;
  const rate = str(p, 'rate-limit') !== undefined ? parseQuantityBytes('--rate-limit', str(p, 'rate-limit')!) : undefined;
  const stall = int('backup', p, 'stall-timeout', 0, 7 * 86400);
  const { signal, dispose } = interruptSignal();
  const progress = progressReporter(log, `backup ${dataset}@${snapshot}`, !p.values.quiet);
  let resume = { resumedBytes: 0, restartReason: '' };
  try {
    if (p.values['create-snapshot']) await zfs.snapshot(dataset, snapshot, signal);
    const m = await runBackup(
      {
        dataset,
        snapshot,
        previousSnapshot: from,
        disableIncrementalBackups: p.values.full === true || behaviour?.disableIncrementalBackups === true,
        backup: str(p, 'backup') ?? snapshot,
        volume: str(p, 'volume') ?? dataset.split('/').pop()!,
        schedule: str(p, 'schedule'),
        previousBackup: str(p, 'previous-backup'),
        layout: loc.layout,
        dedup: p.values.dedup === true || (loc.dedup === true && p.values.plain !== true),
        transfer: {
          partSize,
          concurrency: int('backup', p, 'concurrency', 1, 64),
          rateLimitBytesPerSec: rate,
          stallTimeoutMs: stall === undefined ? undefined : stall * 1000,
        },
      },
      { zfs, store, log, keys, tuning: transferTuningFrom(process.env) },
      { signal, onProgress: progress.onProgress, onResume: (r) => (resume = r) },
    );
    progress.done();
    // An interrupted earlier run of this backup was continued (or could not be: say why).
    if (resume.resumedBytes > 0) process.stderr.write(`resumed an interrupted upload: ${fmtBytes(resume.resumedBytes)} were already stored\n`);
    if (resume.restartReason) process.stderr.write(`an interrupted upload was not resumed: ${resume.restartReason}\n`);
    if (p.values.json) printJson(m);
    else {
      const secs = (Date.parse(m.finishedAt) - Date.parse(m.startedAt)) / 1000;
      process.stdout.write(
        `backed up ${m.dataset}@${m.snapshot} (${m.previousSnapshot ? 'incremental from @' + m.previousSnapshot : 'full'}) ` +
          `as backup ${m.backup}, volume ${m.volume}: ${fmtBytes(m.size)} in ${m.dedup ? `${m.dedup.segments} segments (${fmtBytes(m.dedup.addedBytes)} added, ${m.dedup.addedSegments} new)` : `${m.parts.length} parts`}, ` +
          `${secs.toFixed(1)} s (${fmtBytes(m.size / Math.max(secs, 0.001))}/s), ${m.hash} ${m.streamHash}${keys.signer ? `, signed by ${keys.signer.keyId}` : ''}${m.encryption ? `, encrypted (key ${m.encryption.keyId})` : ''}\n  -> ${m.dataKey} in ${store.describe()}\n`,
      );
    }
    return 0;
  } finally {
    progress.done();
    dispose();
    await store.close();
  }
}
