import { describe, expect, it } from 'vitest';
import { MAX_SNAPSHOTS_PER_DATASET, isUnder, pageDatasets, parseZfsGetTypeGuid, parseZpoolList } from '../../../src/agent/inventory-plan.js';

describe('inventory parsing and paging', () => {
  it('parses zpool list and zfs get output, datasets with their snapshots in order', () => {
    expect(parseZpoolList('tank\tONLINE\nbad name\tX\ncstor-1\tdegraded\n\n')).toEqual([
      { name: 'tank', health: 'ONLINE' },
      { name: 'cstor-1', health: 'DEGRADED' },
    ]);
    const out = ['p\ttype\tfilesystem', 'p\tguid\t1', 'p/a\ttype\tfilesystem', 'p/a\tguid\t2', 'p/a@s1\ttype\tsnapshot', 'p/a@s1\tguid\t3', 'p/a@s2\ttype\tsnapshot', 'p/a@s2\tguid\t4', 'garbage'].join('\n');
    const ds = parseZfsGetTypeGuid(out);
    expect(ds.map((d) => [d.name, d.guid, d.snapshots.map((s) => `${s.name}=${s.guid}`)])).toEqual([
      ['p', '1', []],
      ['p/a', '2', ['s1=3', 's2=4']],
    ]);
  });

  it('keeps the newest snapshots of a dataset beyond the cap and says so', () => {
    const lines = ['p/a\ttype\tfilesystem', 'p/a\tguid\t1'];
    for (let i = 0; i < MAX_SNAPSHOTS_PER_DATASET + 5; i++) lines.push(`p/a@s${i}\ttype\tsnapshot`, `p/a@s${i}\tguid\t${i}`);
    const [d] = parseZfsGetTypeGuid(lines.join('\n'));
    expect(d!.snapshots).toHaveLength(MAX_SNAPSHOTS_PER_DATASET);
    expect(d!.snapshots.at(-1)!.name).toBe(`s${MAX_SNAPSHOTS_PER_DATASET + 4}`);
    expect(d!.snapshotsTruncated).toBe(true);
  });

  it('pages by name with a bounded page size, and filters by allowed prefixes', () => {
    const all = ['c', 'a', 'b', 'd'].map((n) => ({ name: `p/${n}`, type: 'filesystem', guid: '', snapshots: [], snapshotsTruncated: false }));
    const p1 = pageDatasets(all, 2, '');
    expect(p1.datasets.map((d) => d.name)).toEqual(['p/a', 'p/b']);
    expect(p1.nextPageToken).toBe('p/b');
    const p2 = pageDatasets(all, 2, p1.nextPageToken);
    expect(p2.datasets.map((d) => d.name)).toEqual(['p/c', 'p/d']);
    expect(p2.nextPageToken).toBe('');
    expect(pageDatasets(all, 1_000_000, '').datasets).toHaveLength(4);
    expect(isUnder('p/a/b', ['p/a'])).toBe(true);
    expect(isUnder('p/ab', ['p/a'])).toBe(false);
  });
});
