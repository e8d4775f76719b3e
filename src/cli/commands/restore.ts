import { int, parse, required, str, usage } from '../args.js';
import { ZFS_FLAGS, interruptSignal, locationFor, loggerFor, printJson, storeFor, zfsFor } from '../context.js';
import { fmtBytes, progressReporter } from '../progress-bar.js';
import { parseDatasetName } from '../../zfs/names.js';
import { runRestore } from '../../transfer/restore.js';
import { parseQuantityBytes } from '../../parse/parse-quantity.js';
import { KEY_FLAGS, KEY_HELP, keyringFor } from '../key-flags.js';
import { locationForms } from '../../store/store-registry.js';

export const RESTORE_HELP = `Usage: snapstream restore --from LOCATION --backup NAME --volume NAME --target POOL/DATASET [options]

Streams a backup into "zfs recv", checking every part's xxh64 before its bytes reach ZFS and the
whole-stream hash before the last part; on any mismatch the receive is killed and a target this
restore created is removed.

Options:
  --from LOCATION        ${locationForms()} | vsl.yaml[#NAME]
  --backup NAME          the backup to restore (see "snapstream ls")
  --volume NAME          its volume name
  --target DATASET       dataset to receive into (must not exist for a full restore, unless --force)
  --chain                replay the chain base..backup (restoreAllIncrementalSnapshots)
  --force                receive a full stream over an existing dataset (zfs recv -F)
  --replace-partial      replace (or continue) what a failed snapstream restore left in --target:
                         only a dataset carrying the io.snapstream:restore marker (a retry of the
                         same command continues its own leftover without this flag)
  --allow-unverified     restore an object that has no manifest (written by the stock plugin)
  --allow-stream-properties
                         accept a stream made with zfs send -p/-R: zfs recv then applies the
                         properties it carries (mountpoint, setuid, ...); refused by default
  --target-ip IP         set io.openebs:targetip on the restored dataset (autoSetTargetIP)
  --concurrency N        ranged GETs in flight (default 4); memory ~ (N+1) x part size
  --rate-limit SIZE      average bytes per second into zfs recv, e.g. 100Mi
  --stall-timeout SECS   fail when nothing moved for this long (default 300, 0 = never)
${KEY_HELP}  --zfs-binary PATH, --allowed-pools LIST, --json, -v, -q
`;

export async function restoreCommand(argv: string[]): Promise<number> {
  const p = parse('restore', argv, {
    from: { type: 'string' },
    backup: { type: 'string' },
    volume: { type: 'string' },
    target: { type: 'string' },
    chain: { type: 'boolean' },
    force: { type: 'boolean' },
    'replace-partial': { type: 'boolean' },
    'allow-unverified': { type: 'boolean' },
    'allow-stream-properties': { type: 'boolean' },
    'target-ip': { type: 'string' },
    concurrency: { type: 'string' },
    'rate-limit': { type: 'string' },
    'stall-timeout': { type: 'string' },
    ...ZFS_FLAGS,
    ...KEY_FLAGS,
  });
  if (p.values.help) {
    process.stdout.write(RESTORE_HELP);
    return 0;
  }
  const { location: loc, behaviour } = await locationFor('restore', required('restore', p, 'from', 'the location holding the backup'), '--from');
  const targetIp = str(p, 'target-ip');
  if (behaviour?.autoSetTargetIP && targetIp === undefined) {
    throw usage('restore', 'the location sets autoSetTargetIP: give the target IP with --target-ip IP');
  }
  const backup = required('restore', p, 'backup', 'the backup name (see "snapstream ls")');
  const volume = required('restore', p, 'volume', 'the volume name (see "snapstream ls")');
  const target = parseDatasetName(required('restore', p, 'target', 'the dataset to receive into'));
  const keys = await keyringFor(p);
  const log = loggerFor(p);
  const zfs = zfsFor(p, log);
  const store = await storeFor(loc, log);
  const stall = int('restore', p, 'stall-timeout', 0, 7 * 86400);
  const rate = str(p, 'rate-limit') !== undefined ? parseQuantityBytes('--rate-limit', str(p, 'rate-limit')!) : undefined;
  const { signal, dispose } = interruptSignal();
  const progress = progressReporter(log, `restore ${backup} -> ${target}`, !p.values.quiet);
  try {
    const r = await runRestore(
      {
        backup,
        volume,
        layout: loc.layout,
        target,
        restoreAllIncrementalSnapshots: p.values.chain === true || behaviour?.restoreAllIncrementalSnapshots === true,
        allowUnverified: p.values['allow-unverified'] === true,
        allowUnauthenticated: p.values['allow-unauthenticated'] === true,
        allowStreamProperties: p.values['allow-stream-properties'] === true,
        force: p.values.force === true,
        replacePartial: p.values['replace-partial'] === true,
        targetIp,
        transfer: { concurrency: int('restore', p, 'concurrency', 1, 64), rateLimitBytesPerSec: rate, stallTimeoutMs: stall === undefined ? undefined : stall * 1000 },
      },
      { zfs, store, log, keys },
      { signal, onProgress: progress.onProgress },
    );
    progress.done();
    if (p.values.json) printJson({ ...r, restored: r.restored.map((m) => ({ backup: m.backup, snapshot: m.snapshot, size: m.size })) });
    else {
      const steps = r.restored.map((m) => m.backup).join(' -> ');
      process.stdout.write(
        `restored ${r.target}@${r.snapshot} from ${steps || backup} (${fmtBytes(r.bytes)})` +
          `${r.verified ? ', every part verified' : ', UNVERIFIED (no manifest)'}\n`,
      );
    }
    return 0;
  } finally {
    progress.done();
    dispose();
    await store.close();
  }
}
