import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { ErrorCode, SnapstreamError } from '../../errors.js';

/** Objects are readable by the agent's user only: a backup holds a whole volume. */
export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;
/** O_NOFOLLOW: the last component of every path the store opens must not be a symlink. */
export const OPEN_READ = constants.O_RDONLY | constants.O_NOFOLLOW;
export const OPEN_CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Symlinks inside the store root are never followed (`backups/x -> /elsewhere` must not make the
 * agent, which is root, write or read or delete there). Node has no openat(2), so the store walks
 * each directory component below the root with lstat and refuses a symlink or a non-directory,
 * and opens the last component with O_NOFOLLOW. What remains is the window between that check and
 * the open, which only someone who can already write inside the 0700 root (the agent's own user)
 * could use. The root itself is the operator's choice: it may sit behind a symlink.
 *
 * `create` makes missing directories (0700) and returns the ones it made, deepest last.
 */
export async function checkDirChain(root: string, dir: string, create: boolean): Promise<string[]> {
  const rel = path.relative(root, dir);
  if (rel === '') return [];
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw escapes(dir);
  const made: string[] = [];
  let cur = root;
  for (const c of rel.split(path.sep)) {
    cur = path.join(cur, c);
    let st = await fs.lstat(cur).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
    if (st === undefined) {
      if (!create) return made; // absent: the caller's open reports ENOENT
      try {
        await fs.mkdir(cur, { mode: DIR_MODE });
        made.push(cur);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      st = await fs.lstat(cur);
    }
    if (st.isSymbolicLink()) {
      throw new SnapstreamError(
        ErrorCode.STORE_FAILED,
        `local store: ${cur} is a symbolic link; snapstream never follows links inside the store root ${root} (remove it, or make it the root itself)`,
        { details: { path: cur } },
      );
    }
    if (!st.isDirectory()) throw new SnapstreamError(ErrorCode.STORE_FAILED, `local store: ${cur} is not a directory`, { details: { path: cur } });
  }
  return made;
}

/**
 * Makes `dir` (and its missing parents) below `root`, 0700, refusing symlinks; every directory it
 * created and each parent up to the root is fsynced, so the new entries survive a crash.
 */
export async function ensureDir(root: string, dir: string): Promise<void> {
  const made = await checkDirChain(root, dir, true);
  if (made.length === 0) return;
  for (let d = made[made.length - 1]!; ; d = path.dirname(d)) {
    await syncDir(d);
    if (d === root || !d.startsWith(root + path.sep)) break;
  }
}

/** A rename or create is durable only once its directory is synced; some filesystems refuse, which is fine. */
export async function syncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW).catch(() => undefined);
  if (!h) return;
  await h.sync().catch(() => {});
  await h.close();
}

/**
 * Prepares the root: created 0700 when missing; an existing one readable by group or others is
 * reported (`warn`), not changed (the operator may share it on purpose, e.g. an NFS export).
 */
export async function prepareRoot(root: string, warn: (msg: string) => void): Promise<void> {
  const st = await fs.stat(root).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  if (st === undefined) {
    await fs.mkdir(root, { recursive: true, mode: DIR_MODE });
    await syncDir(path.dirname(root));
    return;
  }
  if (!st.isDirectory()) throw new SnapstreamError(ErrorCode.INVALID_LOCATION, `local store root ${root} is not a directory`);
  if ((st.mode & 0o077) !== 0) {
    warn(`local store root ${root} has mode ${(st.mode & 0o777).toString(8)}: other local users can read or enter it; chmod 700 it`);
  }
}

function escapes(p: string): SnapstreamError {
  return new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `path ${p} escapes the store root`);
}
