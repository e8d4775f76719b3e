import { int, parse, str, usage } from '../args.js';
import { interruptSignal, locationFor, loggerFor, printJson, storeFor } from '../context.js';
import { fmtBytes, progressReporter } from '../progress-bar.js';
import { isSnapstreamError } from '../../errors.js';
import { listBackups, readManifest } from '../../transfer/catalog.js';
import { verifyBackup } from '../../transfer/verify.js';
import { KEY_FLAGS, KEY_HELP, keyringFor } from '../key-flags.js';

export const VERIFY_HELP = `Usage: snapstream verify LOCATION (--backup NAME --volume NAME | --all) [--concurrency N] [--json]

Downloads backups and checks every part's hash and the whole-stream hash, without restoring.
Encrypted backups are checked by their stored bytes' SHA-256, and also decrypted when
--encryption-key is given. Exit status 3 when any backup fails its check.
${KEY_HELP}`;

export async function verifyCommand(argv: string[]): Promise<number> {
  const p = parse('verify', argv, { backup: { type: 'string' }, volume: { type: 'string' }, all: { type: 'boolean' }, concurrency: { type: 'string' }, ...KEY_FLAGS }, 1);
  if (p.values.help) {
    process.stdout.write(VERIFY_HELP);
    return 0;
  }
  if (!p.positionals[0]) throw usage('verify', 'which location?');
  const { location: loc } = await locationFor('verify', p.positionals[0], 'LOCATION');
  const backup = str(p, 'backup');
  const volume = str(p, 'volume');
  if (!p.values.all && (!backup || !volume)) throw usage('verify', 'give --backup and --volume, or --all');
  const keys = await keyringFor(p);
  const allowUnauthenticated = p.values['allow-unauthenticated'] === true;
  const log = loggerFor(p);
  const store = await storeFor(loc, log);
  const { signal, dispose } = interruptSignal();
  const concurrency = int('verify', p, 'concurrency', 1, 64);
  try {
    const manifests = p.values.all
      ? (await listBackups(store, loc.layout, { volume, backup, signal, log, keys })).backups
      : [await readManifest(store, loc.layout, backup!, volume!, signal, keys)];
    const results: Array<{ backup: string; volume: string; ok: boolean; bytes?: number; error?: string; code?: string }> = [];
    let firstError: unknown;
    for (const m of manifests) {
      const progress = progressReporter(log, `verify ${m.backup}`, !p.values.quiet && !p.values.json);
      try {
        const r = await verifyBackup(store, m, { log, concurrency, keys, allowUnauthenticated }, { signal, onProgress: progress.onProgress });
        progress.done();
        results.push({ backup: m.backup, volume: m.volume, ok: true, bytes: r.bytes });
        if (!p.values.json) process.stdout.write(`ok      ${m.backup} ${m.volume}: ${fmtBytes(r.bytes)}, ${r.parts} parts, ${m.hash} ${m.streamHash}\n`);
      } catch (e) {
        progress.done();
        if (!isSnapstreamError(e) || e.code === 'ABORTED') throw e;
        firstError ??= e;
        results.push({ backup: m.backup, volume: m.volume, ok: false, error: e.message, code: e.code });
        if (!p.values.json) process.stdout.write(`FAILED  ${m.backup} ${m.volume}: ${e.message}\n`);
      }
    }
    if (p.values.json) printJson({ results });
    if (firstError) throw firstError;
    return 0;
  } finally {
    dispose();
    await store.close();
  }
}
