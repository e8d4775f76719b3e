import { describe, expect, it } from 'vitest';
import { vetDestroys } from '../../../src/plan/destroy-guard.js';
import type { Manifest } from '../../../src/model/manifest.js';

const m = (snapshot: string, o: Partial<Manifest> = {}) => ({ backup: snapshot, schedule: 'daily', dataset: 'tank/pvc-1', snapshot, snapshotGuid: '123', ...o }) as Manifest;

describe('vetDestroys: destroy only what the schedule made', () => {
  it('destroys schedule-named snapshots, with the manifest guid when one names it', () => {
    const r = vetDestroys({ schedule: 'daily', dataset: 'tank/pvc-1', candidates: [{ snapshot: 'daily-20260301100000' }, { snapshot: 'daily-20260301100010', manifest: m('daily-20260301100010') }] });
    expect(r.destroy).toEqual([{ snapshot: 'daily-20260301100000' }, { snapshot: 'daily-20260301100010', expectedGuid: '123' }]);
    expect(r.refused).toEqual([]);
  });

  it('refuses a foreign name, another dataset, a missing guid, an unauthenticated manifest', () => {
    const r = vetDestroys({
      schedule: 'daily',
      dataset: 'tank/pvc-1',
      candidates: [
        { snapshot: 'precious-manual', manifest: m('precious-manual') },
        { snapshot: 'other-20260301100000' },
        { snapshot: 'daily-2026030110000' },
        { snapshot: 'daily-20260301100000', manifest: m('daily-20260301100000', { dataset: 'tank/other' }) },
        { snapshot: 'daily-20260301100010', manifest: m('daily-20260301100010', { snapshotGuid: '' }) },
        { snapshot: 'daily-20260301100020', manifest: m('daily-20260301100020', { backup: 'forged' }) },
      ],
      isTrusted: (x) => x.backup !== 'forged',
    });
    expect(r.destroy).toEqual([]);
    expect(r.refused.map((x) => x.reason)).toEqual(['foreign-name', 'foreign-name', 'foreign-name', 'other-dataset', 'no-guid', 'unauthenticated']);
  });
});
