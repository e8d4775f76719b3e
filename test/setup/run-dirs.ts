/**
 * Temp dirs the test environment makes, and the clean-up of those a crashed run left behind.
 * Each dir is named `sstest-<kind>-…` and holds owner.pid; a dir whose owner is gone is handed to the
 * kind's cleaner, then removed. Dirs of live runs (another developer's) are left alone.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alive, log } from './process.js';

/** Temp dirs we make are named so; each holds owner.pid so a later run can clean up after a crash. */
const DIR_PREFIX = 'sstest-';

export type RunDirKind = 'ceph' | 'swift' | 'zfs' | 'zfsd' | 'gcs';

export async function makeRunDir(kind: RunDirKind): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `${DIR_PREFIX}${kind}-`));
  await writeFile(path.join(dir, 'owner.pid'), String(process.pid));
  return dir;
}

/** What undoes a dead run's dir of one kind before the dir is removed; `quiet` kinds are not logged. */
export interface LeftoverCleaner {
  clean?: (dir: string) => Promise<void>;
  quiet?: boolean;
}

export async function cleanLeftovers(cleaners: Record<RunDirKind, LeftoverCleaner>): Promise<void> {
  let names: string[] = [];
  try {
    names = await readdir(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^sstest-(ceph|swift|zfs|zfsd|gcs)-/.exec(name);
    if (!m) continue;
    const dir = path.join(tmpdir(), name);
    let owner = NaN;
    try {
      owner = Number(readFileSync(path.join(dir, 'owner.pid'), 'utf8'));
    } catch {
      continue; // not fully made, or not ours
    }
    if (!Number.isInteger(owner) || alive(owner)) continue;
    const cleaner = cleaners[m[1] as RunDirKind];
    if (!cleaner.quiet) log(`cleaning up ${dir} left by dead run ${owner}`);
    await cleaner.clean?.(dir);
    await rm(dir, { recursive: true, force: true });
  }
}
