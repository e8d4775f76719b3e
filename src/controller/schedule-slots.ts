import { Cron } from 'croner';
import type { CronSpec } from '../config/parse-cron.js';

/**
 * The instants a schedule fires at ("slots"), whole seconds. A slot names its backup
 * (`<schedule>-<YYYYMMDDhhmmss>` of the slot, not of when the run happened to start), so a
 * restarted controller recognises a slot it already ran from the bucket alone.
 *
 * "@every D" slots are multiples of D since the Unix epoch, not since the controller started:
 * restarts do not shift them, which keeps names and catch-up decisions stable.
 */
export interface SlotClock {
  /** The latest slot at or before `at`, undefined when the schedule never fired before it. */
  latestAtOrBefore(at: Date): Date | undefined;
  /** The first slot strictly after `at`, undefined when it never fires again. */
  nextAfter(at: Date): Date | undefined;
}

export function slotClock(spec: CronSpec): SlotClock {
  if (spec.kind === 'every') {
    const d = spec.intervalMs;
    return {
      latestAtOrBefore: (at) => new Date(Math.floor(at.getTime() / d) * d),
      nextAfter: (at) => new Date((Math.floor(at.getTime() / d) + 1) * d),
    };
  }
  const cron = new Cron(spec.expression, { paused: true, mode: '5-part', timezone: spec.timezone });
  return {
    // previousRuns is strictly before its reference; +1 ms makes a slot at exactly `at` count.
    latestAtOrBefore: (at) => cron.previousRuns(1, new Date(at.getTime() + 1))[0],
    nextAfter: (at) => cron.nextRun(at) ?? undefined,
  };
}

/** How many slots lie strictly between `after` and `until` (missed runs), counting at most `cap`. */
export function slotsBetween(clock: SlotClock, after: Date, until: Date, cap = 1000): number {
  let n = 0;
  for (let t = clock.nextAfter(after); t !== undefined && t < until && n < cap; t = clock.nextAfter(t)) n++;
  return n;
}
