import { Cron } from 'croner';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { parseGoDuration } from '../parse/parse-duration.js';

/** When a schedule fires: a cron expression in a time zone, or a fixed interval ("@every 1h"). */
export type CronSpec = { kind: 'cron'; expression: string; timezone: string } | { kind: 'every'; intervalMs: number };

// A fixed instant, so validation is pure and repeatable (it only asks "does this ever fire?").
const REFERENCE = new Date('2026-01-01T00:00:00Z');

/**
 * Parses a schedule the way Velero's cron library (robfig/cron ParseStandard) accepts it: five
 * fields, the descriptors @yearly/@annually/@monthly/@weekly/@daily/@midnight/@hourly,
 * "@every <Go duration>", and an optional "CRON_TZ=<zone> " or "TZ=<zone> " prefix. Without a
 * prefix the zone is UTC (Velero uses the server's local time, which is UTC in its image). The
 * expression itself is checked with croner, the library the controller runs it with, and an
 * expression that can never fire (e.g. "0 0 31 2 *") is refused.
 */
export function parseCron(key: string, value: string): CronSpec {
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${key}: ${JSON.stringify(value)} ${why}`, { details: { key, value } });
  };
  let rest = value.trim().replace(/\s+/g, ' ');
  let timezone = 'UTC';
  const tz = /^(?:CRON_TZ|TZ)=(\S+) (.*)$/.exec(rest);
  if (tz !== null) {
    timezone = tz[1]!;
    rest = tz[2]!;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    } catch {
      bad(`names an unknown time zone "${timezone}"; use an IANA name such as "Europe/Berlin"`);
    }
  }
  if (rest === '') bad('is empty; write a cron expression such as "0 1 * * *" or "@every 6h"');
  if (rest.startsWith('@every')) {
    if (tz !== null) bad('combines a time zone with @every, which has no time of day');
    const d = rest.slice('@every'.length).trim();
    const ms = parseGoDuration(key, d);
    if (ms < 1000) bad('fires more often than once a second; use at least "@every 1s"');
    return { kind: 'every', intervalMs: ms };
  }
  const fields = rest.split(' ');
  if (!rest.startsWith('@') && fields.length !== 5) {
    bad(
      `has ${fields.length} fields; Velero schedules have 5 (minute hour day-of-month month day-of-week), e.g. "0 1 * * *"` +
        (fields.length === 6 ? '; for runs more often than once a minute use "@every 30s"' : ''),
    );
  }
  let next: Date | null;
  try {
    const job = new Cron(rest, { paused: true, mode: '5-part', timezone });
    next = job.nextRun(REFERENCE);
    job.stop();
  } catch (e) {
    return bad(`is not a valid cron expression: ${(e as Error).message.replace(/^CronPattern: /, '')}`);
  }
  if (next === null) bad('never fires (no date matches it)');
  return { kind: 'cron', expression: rest, timezone };
}
