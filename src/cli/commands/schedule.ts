import { loadConfigFiles } from '../../config/load-config.js';
import { printableLine } from '../../printable.js';
import type { CronSpec } from '../../config/parse-cron.js';
import type { ScheduleConfig, SnapshotLocation } from '../../config/types.js';
import { StoreCatalog } from '../../controller/backup-catalog.js';
import { slotClock } from '../../controller/schedule-slots.js';
import type { ScheduleStatus } from '../../controller/schedule-status.js';
import { openStore } from '../../location/open-store.js';
import { compareBackups } from '../../plan/backup-order.js';
import { scheduledBackupTime } from '../../plan/scheduled-name.js';
import type { Manifest } from '../../model/manifest.js';
import { parse, usage } from '../args.js';
import { loggerFor, printJson } from '../context.js';
import { table } from './ls.js';

export const SCHEDULE_HELP = `Usage: snapstream schedule ls --config FILE [--config FILE...] [--json]

Shows every schedule of the config files with what the bucket says about it: its last run (slot,
result, error), its next slot, and its backups (count, newest, full or incremental). Reads the
location directly; the controller need not run.
`;

interface Row {
  schedule: string;
  cron: string;
  location: string;
  mode: 'full' | 'incremental';
  paused: boolean;
  retention: string;
  volumes: string[];
  lastRun: string;
  lastResult: string;
  lastError: string;
  nextRun: string;
  backups: number;
  newestBackup: string;
  missedSlots: number;
}

export function formatCron(c: CronSpec): string {
  if (c.kind === 'every') return `@every ${formatMs(c.intervalMs)}`;
  return (c.timezone !== 'UTC' ? `CRON_TZ=${c.timezone} ` : '') + c.expression;
}

function formatMs(ms: number): string {
  const units: [string, number][] = [['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  let out = '';
  let rest = ms;
  for (const [u, n] of units) {
    if (rest >= n) {
      out += `${Math.floor(rest / n)}${u}`;
      rest %= n;
    }
  }
  return out + (rest > 0 || out === '' ? `${rest}ms` : '');
}

export function scheduleRow(s: ScheduleConfig, loc: SnapshotLocation, manifests: readonly Manifest[], status: ScheduleStatus | undefined, now: Date): Row {
  const mine = manifests.filter((m) => m.schedule === s.name).sort(compareBackups);
  const newest = mine.at(-1);
  const next = s.paused ? undefined : slotClock(s.cron).nextAfter(now);
  const retention = [s.ttlMs !== undefined ? `ttl ${formatMs(s.ttlMs)}` : '', s.keepLast !== undefined ? `keep ${s.keepLast}` : ''].filter(Boolean).join(', ');
  let lastRun = status?.lastSlot ?? '';
  let lastResult = status?.lastResult ?? '';
  const newestSlot = newest ? scheduledBackupTime(newest.backup, s.name) : undefined;
  if (newestSlot && (!status || newestSlot.getTime() > Date.parse(status.lastSlot))) {
    // A newer backup than the status record knows of (made by an older controller, or the stock
    // plugin with the same schedule name): it succeeded, or it would have no manifest.
    lastRun = newestSlot.toISOString();
    lastResult = 'succeeded';
  }
  return {
    schedule: s.name,
    cron: formatCron(s.cron),
    location: s.location,
    mode: loc.behaviour.disableIncrementalBackups ? 'full' : 'incremental',
    paused: s.paused,
    retention,
    volumes: s.volumes.map((v) => v.volume),
    lastRun,
    lastResult,
    lastError: lastResult === 'failed' ? (status?.lastError ?? '') : '',
    nextRun: next?.toISOString() ?? '',
    backups: mine.length,
    newestBackup: newest ? `${newest.backup}${newest.previousSnapshot ? ' (incr)' : ' (full)'}` : '',
    missedSlots: status?.missedSlots ?? 0,
  };
}

export async function scheduleCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(SCHEDULE_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'ls') throw usage('schedule', `unknown subcommand "${sub}"; use "schedule ls"`);
  const p = parse('schedule', rest, { config: { type: 'string', multiple: true } });
  if (p.values.help) {
    process.stdout.write(SCHEDULE_HELP);
    return 0;
  }
  const files = (p.values.config as unknown as string[] | undefined) ?? [];
  if (files.length === 0) throw usage('schedule', '--config FILE is required');
  const config = await loadConfigFiles(files);
  const log = loggerFor(p);
  const now = new Date();
  const rows: Row[] = [];
  for (const loc of config.locations) {
    const schedules = config.schedules.filter((s) => s.location === loc.name);
    if (schedules.length === 0) continue;
    const catalog = new StoreCatalog(await openStore(loc.location, { log }), loc.location.layout, log);
    try {
      const manifests = await catalog.list();
      for (const s of schedules) rows.push(scheduleRow(s, loc, manifests, await catalog.readStatus(s.name), now));
    } finally {
      await catalog.close();
    }
  }
  if (p.values.json) {
    printJson({ schedules: rows });
    return 0;
  }
  const short = (iso: string) => iso.replace(/\.\d+Z$/, 'Z');
  process.stdout.write(
    table(
      ['SCHEDULE', 'CRON', 'MODE', 'RETENTION', 'LAST RUN', 'RESULT', 'NEXT RUN', 'BACKUPS', 'NEWEST'],
      rows.map((r) => [
        r.schedule + (r.paused ? ' (paused)' : ''),
        r.cron,
        r.mode,
        r.retention,
        short(r.lastRun) || '-',
        r.lastResult || '-',
        short(r.nextRun) || '-',
        String(r.backups),
        r.newestBackup || '-',
      ]),
    ),
  );
  for (const r of rows) if (r.lastError) process.stdout.write(`${r.schedule}: last run failed: ${printableLine(r.lastError)}\n`);
  return 0;
}
