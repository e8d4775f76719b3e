import { SnapstreamError } from '../errors.js';

/**
 * Named classifiers of what `zfs` prints on stderr when it fails (zrepl's rule: stderr becomes typed
 * outcomes in one place). Each is anchored on the whole line zfs prints, in the C locale every
 * command here runs in, never on a word anywhere in the text: the text quotes the dataset name, and
 * a dataset may be named `busybox` or even `does not exist` (zfs-fuse accepts spaces), so an
 * unanchored /busy/ or /does not exist/ would classify the name instead of the error.
 *
 * The shapes, as zfs-fuse 0.7 prints them (checked on this machine with LC_ALL=C; OpenZFS prints the
 * same lines from the same libzfs strings, plus "pool or dataset is busy" for an unmount):
 *   cannot open 'tank/nope': dataset does not exist              (list, get, snapshot, destroy, inherit)
 *   cannot create snapshot 'tank/ds@s1': dataset already exists
 *   cannot create 'tank/ds': dataset already exists             (create; rename onto an existing name)
 *   cannot destroy 'tank/ds@s1': dataset is busy                 (a held snapshot; zfs-fuse right after
 *                                                                 a create or receive)
 *   umount: /mnt/ds: target is busy.                             (util-linux, when zfs unmounts for
 *   cannot unmount '/mnt/ds': umount failed: ...                  destroy/rename/unmount)
 *   invalid option 'n'                                           (zfs-fuse: no `send -n`, no `recv -s`)
 */

/** The quoted subject of a `cannot <verb> '<name>': <reason>` line; names never contain a quote. */
const CANNOT = String.raw`^cannot [a-z]+(?: [a-z]+)* '[^'\n]*': `;

const NOT_FOUND = new RegExp(`${CANNOT}dataset does not exist$`, 'm');
const EXISTS = new RegExp(`${CANNOT}dataset already exists$`, 'm');
const SNAPSHOT_EXISTS = new RegExp(String.raw`^cannot create snapshot '[^'\n]*@[^'\n]*': dataset already exists$`, 'm');
const BUSY = [
  new RegExp(`${CANNOT}(?:dataset|pool|pool or dataset) is busy$`, 'm'),
  /^umount: [^\n]*: target is busy\.?$/m,
  new RegExp(`${CANNOT}Device or resource busy$`, 'm'),
];

/** `cannot open 'X': dataset does not exist`: the dataset or snapshot named is not there. */
export function datasetNotFound(stderr: string): boolean {
  return NOT_FOUND.test(stderr);
}

/** `cannot create ... 'X': dataset already exists` (a dataset, a snapshot, a rename target). */
export function datasetExists(stderr: string): boolean {
  return EXISTS.test(stderr);
}

/** `cannot create snapshot 'DS@S': dataset already exists`. */
export function snapshotExists(stderr: string): boolean {
  return SNAPSHOT_EXISTS.test(stderr);
}

/** The dataset, its mount or the pool is busy (a passing state on zfs-fuse; a hold or an open file otherwise). */
export function datasetBusy(stderr: string): boolean {
  return BUSY.some((r) => r.test(stderr));
}

/** This zfs does not know the single-letter option (zfs-fuse: `invalid option 'n'`; BSD getopt: `illegal option -- n`). */
export function optionUnsupported(stderr: string, option: string): boolean {
  if (!/^[A-Za-z]$/.test(option)) throw new Error(`optionUnsupported: ${JSON.stringify(option)} is not a single-letter option`);
  return new RegExp(String.raw`^(?:invalid option '${option}'|illegal option -- ${option}|[^\n]*: (?:invalid|unrecognized) option -- '?${option}'?)$`, 'm').test(stderr);
}

/** The stderr a failed zfs command left on its error (checkExit puts it in details.stderr). */
export function stderrOf(e: unknown): string {
  return e instanceof SnapstreamError && typeof e.details.stderr === 'string' ? e.details.stderr : '';
}

/** True when `e` is a failed zfs command whose stderr the classifier recognizes. */
export function zfsFailedWith(e: unknown, classifier: (stderr: string) => boolean): boolean {
  return classifier(stderrOf(e));
}
