import { parse, str, usage } from '../args.js';
import { locationFor, loggerFor, printJson, storeFor } from '../context.js';
import { fmtBytes } from '../progress-bar.js';
import { listBackups } from '../../transfer/catalog.js';
import { KEY_FLAGS, KEY_HELP, keyringFor } from '../key-flags.js';
import { authLabel, authOf } from '../../keys/manifest-auth.js';
import { printableLine } from '../../printable.js';
import { locationForms } from '../../store/store-registry.js';

export const LS_HELP = `Usage: snapstream ls LOCATION [--volume NAME] [--backup NAME] [--all] [--json]

Lists the committed backups in a location (those with a manifest), oldest first.
  --all    also list stream objects without a manifest (unfinished uploads, or backups made by the
           stock velero-plugin, restorable with restore --allow-unverified) and invalid manifests
The AUTH column: signed (by a trusted key), unsigned, untrusted (signed by a key not trusted),
signed? (signed, but no trusted key configured to check it). ENC: whether the parts are encrypted.
SIZE is the stream's (logical) size; ADDED what the backup added to the location: the same for a
plain backup, only its new segments and recipe for a deduplicated one (PARTS then reads "N seg").
With trusted keys, a manifest whose signature fails is listed as invalid (see --all).
${KEY_HELP}`;

export async function lsCommand(argv: string[]): Promise<number> {
  const p = parse('ls', argv, { volume: { type: 'string' }, backup: { type: 'string' }, all: { type: 'boolean' }, ...KEY_FLAGS }, 1);
  if (p.values.help) {
    process.stdout.write(LS_HELP);
    return 0;
  }
  if (!p.positionals[0]) throw usage('ls', `which location? give ${locationForms(', ')}`);
  const { location: loc } = await locationFor('ls', p.positionals[0], 'LOCATION');
  const keys = await keyringFor(p);
  const log = loggerFor(p);
  const store = await storeFor(loc, log);
  try {
    const cat = await listBackups(store, loc.layout, { volume: str(p, 'volume'), backup: str(p, 'backup'), log, keys });
    if (p.values.json) {
      printJson({
        backups: cat.backups.map((m) => ({
          backup: m.backup, volume: m.volume, schedule: m.schedule, dataset: m.dataset, snapshot: m.snapshot,
          previousSnapshot: m.previousSnapshot, incremental: m.previousSnapshot !== '', size: m.size, parts: m.parts.length,
          streamHash: m.streamHash, finishedAt: m.finishedAt, dataKey: m.dataKey,
          hash: m.hash, auth: authOf(m), encrypted: m.encryption !== undefined,
          layout: m.dedup ? 'dedup' : 'plain', addedBytes: m.dedup ? m.dedup.addedBytes : m.size,
          ...(m.dedup ? { segments: m.dedup.segments, newSegments: m.dedup.addedSegments } : {}),
        })),
        ...(p.values.all ? { unmanaged: cat.unmanaged, invalid: cat.invalid } : {}),
      });
      return 0;
    }
    const rows = cat.backups.map((m) => [
      m.backup, m.volume, m.previousSnapshot ? `incr <- @${m.previousSnapshot}` : 'full', `${m.dataset}@${m.snapshot}`,
      fmtBytes(m.size), fmtBytes(m.dedup ? m.dedup.addedBytes : m.size), m.dedup ? `${m.dedup.segments} seg` : String(m.parts.length), authLabel(authOf(m)), m.encryption ? 'yes' : 'no', m.finishedAt.replace(/\.\d+Z$/, 'Z'),
    ]);
    process.stdout.write(table(['BACKUP', 'VOLUME', 'TYPE', 'SNAPSHOT', 'SIZE', 'ADDED', 'PARTS', 'AUTH', 'ENC', 'FINISHED'], rows));
    if (cat.backups.length === 0) process.stdout.write(`(no backups in ${store.describe()})\n`);
    if (p.values.all) {
      // Keys and messages come from the bucket: escaped, never raw to the terminal.
      for (const u of cat.unmanaged) process.stdout.write(`no manifest: ${printableLine(u.key)} (${fmtBytes(u.size)}) - unfinished, or written by another tool\n`);
      for (const i of cat.invalid) process.stdout.write(`invalid manifest: ${printableLine(i.key)}: ${printableLine(i.error)}\n`);
    } else if (cat.unmanaged.length + cat.invalid.length > 0) {
      process.stdout.write(`(${cat.unmanaged.length + cat.invalid.length} object(s) without a valid manifest; see --all)\n`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** A text table; cells are escaped (printableLine), as they may hold bucket-held text. */
export function table(head: string[], rawRows: string[][]): string {
  const rows = rawRows.map((r) => r.map(printableLine));
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ') + '\n';
  return line(head) + rows.map(line).join('');
}
