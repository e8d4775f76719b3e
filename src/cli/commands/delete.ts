import { parse, required } from '../args.js';
import { locationFor, loggerFor, storeFor } from '../context.js';
import { deleteBackup, readManifest } from '../../transfer/catalog.js';

export const DELETE_HELP = `Usage: snapstream delete LOCATION --backup NAME --volume NAME

Deletes one backup: its manifest first (it stops being listed at once), then its data.
Does not check whether a later incremental depends on it; schedules' retention does that.
`;

export async function deleteCommand(argv: string[]): Promise<number> {
  const p = parse('delete', argv, { backup: { type: 'string' }, volume: { type: 'string' } }, 1);
  if (p.values.help) {
    process.stdout.write(DELETE_HELP);
    return 0;
  }
  const { location: loc } = await locationFor('delete', p.positionals[0], 'LOCATION');
  const log = loggerFor(p);
  const store = await storeFor(loc, log);
  try {
    const m = await readManifest(store, loc.layout, required('delete', p, 'backup', 'backup name'), required('delete', p, 'volume', 'volume name'));
    await deleteBackup(store, m);
    process.stdout.write(`deleted backup ${m.backup} of volume ${m.volume}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
