import { ErrorCode, SnapstreamError } from '../errors.js';

/**
 * Validated ZFS names. Only these branded types reach command-line building (zfs.ts), so a string
 * from a request, a manifest or a flag cannot become an option (`-R`), a path trick or a different
 * dataset: it has to pass through here first. Security sensitive: keep the rules strict.
 */
export type DatasetName = string & { readonly __brand: 'DatasetName' };
export type SnapshotShortName = string & { readonly __brand: 'SnapshotShortName' };
/** "dataset@snapshot" */
export type SnapshotName = string & { readonly __brand: 'SnapshotName' };

/** ZFS's limit is 256 bytes including the terminating NUL. */
const MAX_NAME = 255;
// ZFS allows alphanumerics and "_-.:" in components (and a space, which we refuse to keep names
// safe to log and to pass around). "%" is reserved for ZFS's hidden receive clones.
const COMPONENT = /^[A-Za-z0-9_.:-]+$/;
const RESERVED_POOL = /^(mirror|raidz|draid|spare|log|cache|special|dedup)/;

function invalid(what: string, name: string, why: string): never {
  throw new SnapstreamError(
    ErrorCode.INVALID_NAME,
    `invalid ${what} ${JSON.stringify(name)}: ${why}`,
    { details: { name } },
  );
}

function checkComponent(what: string, full: string, c: string): void {
  if (c === '') invalid(what, full, 'has an empty component (leading, trailing or double "/")');
  if (c === '.' || c === '..') invalid(what, full, 'has a "." or ".." component');
  if (!COMPONENT.test(c)) {
    invalid(what, full, `component ${JSON.stringify(c)} may only contain letters, digits and "_-.:"`);
  }
  if (c.startsWith('-')) invalid(what, full, `component ${JSON.stringify(c)} starts with "-"`);
}

export function parseDatasetName(name: string): DatasetName {
  if (typeof name !== 'string' || name.length === 0) invalid('dataset name', String(name), 'is empty');
  if (name.length > MAX_NAME) invalid('dataset name', name, `is longer than ${MAX_NAME} characters`);
  if (name.includes('@')) invalid('dataset name', name, 'contains "@" (that is a snapshot name; give the dataset alone)');
  const parts = name.split('/');
  for (const c of parts) checkComponent('dataset name', name, c);
  const pool = parts[0]!;
  if (!/^[A-Za-z]/.test(pool)) invalid('dataset name', name, 'pool name must start with a letter');
  if (RESERVED_POOL.test(pool)) invalid('dataset name', name, `pool name ${JSON.stringify(pool)} starts with a reserved word`);
  return name as DatasetName;
}

export function parseSnapshotShortName(name: string): SnapshotShortName {
  if (typeof name !== 'string' || name.length === 0) invalid('snapshot name', String(name), 'is empty');
  if (name.length > MAX_NAME) invalid('snapshot name', name, `is longer than ${MAX_NAME} characters`);
  if (name.includes('@') || name.includes('/')) invalid('snapshot name', name, 'must not contain "@" or "/"');
  checkComponent('snapshot name', name, name);
  return name as SnapshotShortName;
}

/** Parses "pool/ds@snap" into its validated parts. */
export function parseSnapshotName(full: string): { dataset: DatasetName; snapshot: SnapshotShortName; full: SnapshotName } {
  const at = full.indexOf('@');
  if (at < 0) invalid('snapshot', full, 'has no "@" (expected pool/dataset@snapshot)');
  const dataset = parseDatasetName(full.slice(0, at));
  const snapshot = parseSnapshotShortName(full.slice(at + 1));
  if (full.length > MAX_NAME) invalid('snapshot', full, `is longer than ${MAX_NAME} characters`);
  return { dataset, snapshot, full: `${dataset}@${snapshot}` as SnapshotName };
}

export function snapshotName(dataset: DatasetName, snapshot: SnapshotShortName): SnapshotName {
  const full = `${dataset}@${snapshot}`;
  if (full.length > MAX_NAME) invalid('snapshot', full, `is longer than ${MAX_NAME} characters`);
  return full as SnapshotName;
}

/** ZFS user property names: "module:property", lowercase, as `zfs set` requires. */
export function parseUserPropertyName(name: string): string {
  if (!/^[a-z0-9_.:-]{1,255}$/.test(name) || !name.includes(':') || name.startsWith('-')) {
    throw new SnapstreamError(ErrorCode.INVALID_NAME, `invalid ZFS user property ${JSON.stringify(name)}: expected lowercase "module:property"`);
  }
  return name;
}

/** Refuses datasets outside the allowed pools (or dataset prefixes). Empty list = anything. */
export function checkAllowed(dataset: DatasetName, allowed: readonly string[]): void {
  if (allowed.length === 0) return;
  const ok = allowed.some((a) => dataset === a || dataset.startsWith(a + '/'));
  if (!ok) {
    throw new SnapstreamError(
      ErrorCode.PERMISSION_DENIED,
      `dataset ${dataset} is outside the pools this agent may touch (${allowed.join(', ')}); ` +
        'add its pool to allowedPools or pick a dataset under one of them',
      { details: { dataset } },
    );
  }
}
