import { parse, required } from '../args.js';
import { interruptSignal, locationFor, loggerFor, storeFor } from '../context.js';
import { int } from '../args.js';
import { KEY_FLAGS, KEY_HELP, keyringFor } from '../key-flags.js';
import { readManifest } from '../../transfer/catalog.js';
import { catBackup } from '../../transfer/cat-backup.js';
import { ErrorCode, SnapstreamError } from '../../errors.js';
import { locationForms } from '../../store/store-registry.js';

export const CAT_HELP = `Usage: snapstream cat --from LOCATION --backup NAME --volume NAME [options] > stream

Writes a backup's stream to stdout, verified (and decrypted when encrypted), for stock tools:
  snapstream cat --from s3://b/p --backup B --volume V --encryption-key k.key | zfs recv pool/ds
Each part is checked before any of its bytes is written, and the last part is held back until the
whole-stream hash matched; on a failure the output stops short (zfs recv then discards the stream)
and the exit status is non-zero (3 for integrity and authentication failures).

Options:
  --from LOCATION        ${locationForms()} | vsl.yaml[#NAME]
  --backup NAME, --volume NAME
  --concurrency N        ranged GETs in flight (default 4)
${KEY_HELP}  -v, -q
`;

export async function catCommand(argv: string[]): Promise<number> {
  const p = parse('cat', argv, { from: { type: 'string' }, backup: { type: 'string' }, volume: { type: 'string' }, concurrency: { type: 'string' }, ...KEY_FLAGS });
  if (p.values.help) {
    process.stdout.write(CAT_HELP);
    return 0;
  }
  if (process.stdout.isTTY) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'refusing to write a ZFS stream to a terminal; pipe it (| zfs recv POOL/DS) or redirect it (> FILE)');
  }
  const { location: loc } = await locationFor('cat', required('cat', p, 'from', 'the location holding the backup'), '--from');
  const backup = required('cat', p, 'backup', 'the backup name (see "snapstream ls")');
  const volume = required('cat', p, 'volume', 'the volume name (see "snapstream ls")');
  const keys = await keyringFor(p);
  const log = loggerFor(p);
  const store = await storeFor(loc, log);
  const { signal, dispose } = interruptSignal();
  try {
    const m = await readManifest(store, loc.layout, backup, volume, signal, keys);
    await catBackup(store, m, process.stdout, { log, keys, allowUnauthenticated: p.values['allow-unauthenticated'] === true, concurrency: int('cat', p, 'concurrency', 1, 64) }, { signal });
    return 0;
  } finally {
    dispose();
    await store.close();
  }
}
