/**
 * Pure parsing and paging for the Inventory RPC: what `zpool list` and `zfs get -r type,guid` print,
 * turned into bounded pages. Kept apart from the commands so the bounds are unit-tested.
 */

export const DEFAULT_PAGE_DATASETS = 500;
export const MAX_PAGE_DATASETS = 2000;
/** Snapshots listed per dataset (the newest are kept: a backup needs its recent base). */
export const MAX_SNAPSHOTS_PER_DATASET = 1000;

export interface InvPool {
  name: string;
  health: string;
}

export interface InvDataset {
  name: string;
  type: string;
  guid: string;
  snapshots: { name: string; guid: string }[];
  snapshotsTruncated: boolean;
}

/** `zpool list -H -o name,health` -> pools; lines that do not parse are skipped. */
export function parseZpoolList(out: string): InvPool[] {
  const pools: InvPool[] = [];
  for (const line of out.split('\n')) {
    const [name, health] = line.split('\t');
    if (name && health && /^[A-Za-z][A-Za-z0-9_.:-]*$/.test(name)) pools.push({ name, health: health.trim().toUpperCase() });
  }
  return pools;
}

/**
 * `zfs get -H -p -o name,property,value -r type,guid ROOT` -> datasets with their snapshots in the
 * order zfs printed them (creation order). zfs-fuse has no `list -p`, so guids come from `get -p`.
 */
export function parseZfsGetTypeGuid(out: string): InvDataset[] {
  const byName = new Map<string, InvDataset>();
  const snaps = new Map<string, Map<string, string>>();
  for (const line of out.split('\n')) {
    const [name, prop, value] = line.split('\t');
    if (!name || !prop || value === undefined) continue;
    const at = name.indexOf('@');
    if (at >= 0) {
      const ds = name.slice(0, at);
      const m = snaps.get(ds) ?? new Map<string, string>();
      if (!m.has(name.slice(at + 1))) m.set(name.slice(at + 1), '');
      if (prop === 'guid') m.set(name.slice(at + 1), value);
      snaps.set(ds, m);
      continue;
    }
    const d = byName.get(name) ?? { name, type: '', guid: '', snapshots: [], snapshotsTruncated: false };
    if (prop === 'type') d.type = value;
    if (prop === 'guid') d.guid = value;
    byName.set(name, d);
  }
  for (const [ds, m] of snaps) {
    const d = byName.get(ds);
    if (!d) continue;
    const all = [...m].map(([name, guid]) => ({ name, guid }));
    d.snapshotsTruncated = all.length > MAX_SNAPSHOTS_PER_DATASET;
    d.snapshots = all.slice(-MAX_SNAPSHOTS_PER_DATASET);
  }
  return [...byName.values()].filter((d) => d.type === 'filesystem' || d.type === 'volume');
}

/** Whether `ds` is one of `allowed` or below one; an empty list allows everything. */
export function isUnder(ds: string, allowed: readonly string[]): boolean {
  return allowed.length === 0 || allowed.some((a) => ds === a || ds.startsWith(a + '/'));
}

/** One page of datasets sorted by name, after `pageToken` (the last name of the previous page). */
export function pageDatasets(all: readonly InvDataset[], maxDatasets: number, pageToken: string): { datasets: InvDataset[]; nextPageToken: string } {
  const limit = Math.min(MAX_PAGE_DATASETS, maxDatasets > 0 ? maxDatasets : DEFAULT_PAGE_DATASETS);
  const sorted = [...all].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rest = pageToken ? sorted.filter((d) => d.name > pageToken) : sorted;
  const datasets = rest.slice(0, limit);
  return { datasets, nextPageToken: rest.length > limit ? datasets[datasets.length - 1]!.name : '' };
}
