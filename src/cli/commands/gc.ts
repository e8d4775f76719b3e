import { parse, str, usage } from '../args.js';
import { locationFor, loggerFor, printJson, storeFor } from '../context.js';
import { fmtBytes } from '../progress-bar.js';
import { KEY_FLAGS, KEY_HELP, keyringFor } from '../key-flags.js';
import { runGc } from '../../dedup/gc.js';
import { parseGoDuration } from '../../parse/parse-duration.js';
import { locationForms } from '../../store/store-registry.js';

export const GC_HELP = `Usage: snapstream gc LOCATION [--grace DURATION] [--dry-run] [--json]

Garbage-collects a location's deduplicated segments (docs/dedup.md). Each run either takes a mark
(the segments no committed manifest references), or, once the mark is a grace old, deletes those of
its segments that are still unreferenced and were not written again since, then marks anew. Safe
while backups run: a backup started after a mark re-uploads the mark's segments instead of reusing
them, and commits only within the grace. The controller runs this after retention.
  --grace DURATION   how long a segment stays after it was marked unreferenced (default 24h, or the
                     previous mark's); backups must finish within it (e.g. "6h")
  --dry-run          report what would be deleted; write nothing
Run one GC at a time per location. Backups encrypted with --encryption-key need that key here.
${KEY_HELP}`;

export async function gcCommand(argv: string[]): Promise<number> {
  const p = parse('gc', argv, { grace: { type: 'string' }, 'dry-run': { type: 'boolean' }, ...KEY_FLAGS }, 1);
  if (p.values.help) {
    process.stdout.write(GC_HELP);
    return 0;
  }
  if (!p.positionals[0]) throw usage('gc', `which location? give ${locationForms(', ')}`);
  const { location: loc } = await locationFor('gc', p.positionals[0], 'LOCATION');
  const grace = str(p, 'grace');
  const graceMs = grace !== undefined ? parseGoDuration('--grace', grace) : undefined;
  const keys = await keyringFor(p);
  const log = loggerFor(p);
  const store = await storeFor(loc, log);
  try {
    const r = await runGc({ store, layout: loc.layout, log, keys, dryRun: p.values['dry-run'] === true, ...(graceMs !== undefined ? { graceMs } : {}) });
    if (p.values.json) printJson(r);
    else {
      const next = r.nextSweepAt ? `; next sweep from ${r.nextSweepAt.toISOString()}` : '';
      const what =
        r.action === 'none'
          ? 'no deduplicated data here'
          : r.action === 'waiting'
            ? `the mark (${r.candidates} candidates) is younger than its grace: nothing deleted`
            : `${r.segments} segments, ${r.referenced} referenced; ${p.values['dry-run'] ? 'would delete' : 'deleted'} ${r.deleted} (${fmtBytes(r.deletedBytes)}); ${r.candidates} marked unreferenced`;
      process.stdout.write(`gc ${store.describe()}: ${what}${next}\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
