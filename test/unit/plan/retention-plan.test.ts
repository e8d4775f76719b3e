import { describe, expect, it } from 'vitest';
import { planRetention, promotionReason, type RetentionInput } from '../../../src/plan/retention-plan.js';
import type { Manifest } from '../../../src/model/manifest.js';
import { m } from './fixtures.js';

const H = 3_600_000;
const DAY = 24 * H;
const now = new Date('2026-01-10T00:00:00Z');
/** Backup of schedule "s" taken on 2026-01-<day> at 00:00 UTC; `prev` = day of its base. */
const b = (day: number, prev?: number, over: Partial<Manifest> = {}): Manifest => {
  const name = `s-202601${String(day).padStart(2, '0')}000000`;
  return m(name, { schedule: 's', ...(prev === undefined ? {} : { prev: `s-202601${String(prev).padStart(2, '0')}000000` }), ...over });
};
const n = (day: number): string => `s-202601${String(day).padStart(2, '0')}000000`;

function plan(manifests: Manifest[], over: Partial<RetentionInput>): ReturnType<typeof planRetention> {
  return planRetention({ manifests, schedule: 's', volume: 'pvc-1', now, ...over });
}

describe('planRetention: full backups', () => {
  const fulls = [b(1), b(2), b(5), b(8), b(9)];
  const cases: { name: string; over: Partial<RetentionInput>; del: number[] }[] = [
    { name: 'ttl 3 days', over: { ttlMs: 3 * DAY }, del: [5, 2, 1] },
    { name: 'ttl exactly the age keeps it (strictly older expires)', over: { ttlMs: 5 * DAY }, del: [2, 1] },
    { name: 'keepLast 2', over: { keepLast: 2 }, del: [5, 2, 1] },
    { name: 'keepLast larger than the count', over: { keepLast: 10 }, del: [] },
    { name: 'ttl and keepLast: either limit expires', over: { ttlMs: 8.5 * DAY, keepLast: 4 }, del: [1] },
    { name: 'ttl and keepLast, keepLast stricter', over: { ttlMs: 100 * DAY, keepLast: 1 }, del: [8, 5, 2, 1] },
    { name: 'no limits: nothing', over: {}, del: [] },
    { name: 'everything past ttl: the newest stays', over: { ttlMs: H }, del: [8, 5, 2, 1] },
  ];
  it.each(cases)('$name', ({ over, del }) => {
    const p = plan(fulls, over);
    expect(p.delete).toEqual(del.map(n));
    expect(p.promotionNeeded).toEqual([]);
    expect(p.broken).toEqual([]);
  });

  it('steps: per backup manifest first, then data; newest first', () => {
    expect(plan(fulls, { keepLast: 3 }).steps).toEqual([
      { op: 'delete-manifest', backup: n(2), key: `backups/${n(2)}/pvc-1-${n(2)}.snapstream.json` },
      { op: 'delete-data', backup: n(2), key: `backups/${n(2)}/pvc-1-${n(2)}` },
      { op: 'delete-manifest', backup: n(1), key: `backups/${n(1)}/pvc-1-${n(1)}.snapstream.json` },
      { op: 'delete-data', backup: n(1), key: `backups/${n(1)}/pvc-1-${n(1)}` },
    ]);
  });

  it('only the schedule and volume asked for are candidates', () => {
    const others = [m(n(1), { schedule: 'other' }), m(n(2), { schedule: 's', volume: 'pvc-2', dataset: 'tank/pvc-2' }), m('manual', { startedAt: '2025-01-01T00:00:00Z' })];
    expect(plan([...others, b(3), b(9)], { keepLast: 1 }).delete).toEqual([n(3)]);
  });

  it('listing order does not matter', () => {
    expect(plan([...fulls].reverse(), { keepLast: 2 }).delete).toEqual([n(5), n(2), n(1)]);
  });
});

describe('planRetention: incremental chains', () => {
  // Chain A: 1 <- 2 <- 3 ; chain B: 5 <- 6 <- 8 <- 9
  const chains = [b(1), b(2, 1), b(3, 2), b(5), b(6, 5), b(8, 6), b(9, 8)];
  const cases: {
    name: string;
    manifests?: Manifest[];
    over: Partial<RetentionInput>;
    del: number[];
    promo?: { backup: number; by: number[] }[];
  }[] = [
    { name: 'whole old chain expired: deleted newest first', over: { ttlMs: 5 * DAY }, del: [3, 2, 1] },
    {
      name: 'part of a chain expired: its base is kept and reported',
      over: { ttlMs: 4.5 * DAY },
      del: [3, 2, 1],
      promo: [{ backup: 5, by: [6, 8, 9] }],
    },
    {
      name: 'two expired links of a live chain',
      over: { ttlMs: 3.5 * DAY },
      del: [3, 2, 1],
      promo: [
        { backup: 5, by: [8, 9] },
        { backup: 6, by: [8, 9] },
      ],
    },
    {
      name: 'keepLast cuts into a chain',
      over: { keepLast: 2 },
      del: [3, 2, 1],
      promo: [
        { backup: 5, by: [8, 9] },
        { backup: 6, by: [8, 9] },
      ],
    },
    {
      name: 'keepLast 1: only the newest kept, its whole chain protected',
      over: { keepLast: 1 },
      del: [3, 2, 1],
      promo: [
        { backup: 5, by: [9] },
        { backup: 6, by: [9] },
        { backup: 8, by: [9] },
      ],
    },
    {
      name: 'an incremental of another schedule protects its base here',
      manifests: [b(1), b(2), m('manual-inc', { schedule: '', prev: n(1), startedAt: '2026-01-09T12:00:00Z' })],
      over: { keepLast: 1 },
      del: [],
      promo: [{ backup: 1, by: ['manual-inc' as unknown as number] }],
    },
    {
      name: 'a same-named snapshot of another dataset does not protect',
      manifests: [b(1), b(2), m('x', { schedule: '', dataset: 'tank/other', prev: n(1) })],
      over: { keepLast: 1 },
      del: [1],
    },
  ];
  it.each(cases)('$name', ({ manifests, over, del, promo }) => {
    const p = plan(manifests ?? chains, over);
    expect(p.delete).toEqual(del.map(n));
    expect(p.promotionNeeded).toEqual(
      (promo ?? []).map((x) => ({ backup: n(x.backup), neededBy: x.by.map((d) => (typeof d === 'string' ? d : n(d))) })),
    );
  });

  it('never deletes a member of a kept backup\'s chain (exhaustive over ttl and keepLast)', () => {
    for (let keepLast = 1; keepLast <= 8; keepLast++) {
      for (let ttlDays = 0; ttlDays <= 10; ttlDays++) {
        const p = plan(chains, { keepLast, ttlMs: ttlDays * DAY + 1 });
        const deleted = new Set(p.delete);
        const kept = chains.filter((x) => !deleted.has(x.backup));
        for (const k of kept) {
          // Walk the kept backup's chain by name: every base must still be there.
          let cur: Manifest | undefined = k;
          while (cur !== undefined && cur.previousSnapshot !== '') {
            const base: Manifest | undefined = kept.find((x) => x.snapshot === cur!.previousSnapshot);
            expect(base, `${k.backup} lost its base ${cur.previousSnapshot} (keepLast ${keepLast}, ttl ${ttlDays}d)`).toBeDefined();
            cur = base;
          }
        }
        // And the newest always survives.
        expect(deleted.has(n(9))).toBe(false);
      }
    }
  });

  it('reports kept backups whose chain is already broken, and still deletes expired ones', () => {
    const p = plan([b(1), b(3, 2), b(4, 3)], { ttlMs: 7 * DAY });
    expect(p.delete).toEqual([n(1)]);
    expect(p.broken.map((x) => x.backup)).toEqual([n(3), n(4)]);
    expect(p.broken[0]!.reason).toMatch(/^cannot restore backup "s-20260103000000" of volume "pvc-1": .* chain found so far: \[missing s-20260102000000\] -> s-20260103000000$/);
  });
});

describe('promotionReason: when the next incremental-mode backup must be full', () => {
  const cases: { name: string; manifests: Manifest[]; over: Partial<RetentionInput>; held?: number[] }[] = [
    { name: 'no backups', manifests: [], over: { keepLast: 2 } },
    { name: 'short chain within keepLast', manifests: [b(1), b(2, 1)], over: { keepLast: 2 } },
    { name: 'chain longer than keepLast: its base is held', manifests: [b(1), b(2, 1), b(3, 2)], over: { keepLast: 2 }, held: [1] },
    { name: 'ttl expired the base of the newest chain', manifests: [b(1), b(8, 1), b(9, 8)], over: { ttlMs: 3 * DAY }, held: [1] },
    // After a promotion the newest is full: the old chain is held by older kept backups only.
    { name: 'newest is full: no promotion', manifests: [b(1), b(2, 1), b(3, 2), b(4)], over: { keepLast: 2 } },
    { name: 'no retention limits: never', manifests: [b(1), b(2, 1), b(3, 2)], over: {} },
    { name: 'full backups only: never', manifests: [b(1), b(2), b(3)], over: { keepLast: 1 } },
  ];
  it.each(cases)('$name', ({ manifests, over, held }) => {
    const r = promotionReason({ manifests, schedule: 's', volume: 'pvc-1', now, ...over });
    if (held === undefined) expect(r).toBeUndefined();
    else expect(r).toBe(`full: expired backup(s) ${held.map(n).join(', ')} are kept only because the newest backup's chain needs them; a full backup starts a new chain so they can go`);
  });
});
