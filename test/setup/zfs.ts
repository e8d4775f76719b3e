/**
 * The zfs-fuse part of the test environment: a pool `sstest<hex>` on a sparse file, made for this run
 * (the zfs-fuse daemon is started if `zpool list` fails), or SNAPSTREAM_TEST_ZFS_POOL used as is.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type LeftoverCleaner, makeRunDir } from './run-dirs.js';
import { log, mustRun, onPath, run, secs, sleep, type Started, type Teardown, waitGone } from './process.js';

const POOL_BYTES = 6 * 1024 ** 3;
const POOL_NAME = /^sstest[0-9a-f]+$/;

export async function upZfs(): Promise<Started<{ pool: string; mount: string }>> {
  const given = process.env.SNAPSTREAM_TEST_ZFS_POOL;
  if (given) {
    await mustRun('zpool', ['list', '-H', given], 30_000);
    const mount = (await mustRun('zfs', ['get', '-H', '-o', 'value', 'mountpoint', given], 30_000)).trim();
    return { value: { pool: given, mount }, note: `reusing pool ${given} (SNAPSTREAM_TEST_ZFS_POOL)` };
  }
  const t0 = performance.now();
  const teardowns: Teardown[] = [];
  const teardown = async () => {
    for (const t of teardowns.reverse()) await t().catch((e) => log(`zfs teardown: ${(e as Error).message}`));
  };
  try {
    let note = '';
    if (!onPath('zpool')) throw new Error('`zpool` not found (apt-get install zfs-fuse)');
    const probe = await run('zpool', ['list'], 30_000);
    if (probe.code !== 0) {
      if (!onPath('zfs-fuse')) throw new Error(`\`zpool list\` fails (${probe.stderr.trim()}) and zfs-fuse is not installed`);
      const dir = await makeRunDir('zfsd');
      const pidFile = path.join(dir, 'zfs-fuse.pid');
      // zfs-fuse daemonizes: the command returns once the daemon is forked.
      await mustRun('zfs-fuse', ['--pidfile', pidFile], 30_000);
      const end = Date.now() + 30_000;
      while ((await run('zpool', ['list'], 10_000)).code !== 0) {
        if (Date.now() > end) throw new Error('zfs-fuse started but `zpool list` still fails after 30 s');
        await sleep(250);
      }
      const pid = Number(readFileSync(pidFile, 'utf8'));
      note = `started zfs-fuse (pid ${pid}); `;
      teardowns.push(async () => {
        process.kill(pid, 'SIGTERM');
        if (!(await waitGone(pid, 20_000))) {
          log(`zfs-fuse ${pid} did not exit after SIGTERM; killing it`);
          process.kill(pid, 'SIGKILL');
          await waitGone(pid, 5_000);
        }
        await rm(dir, { recursive: true, force: true });
      });
    }
    await destroyOrphanPools();
    const dir = await makeRunDir('zfs');
    teardowns.push(() => rm(dir, { recursive: true, force: true }));
    const pool = `sstest${randomBytes(4).toString('hex')}`;
    const img = path.join(dir, 'pool.img');
    const mount = path.join(dir, 'mnt');
    const fh = await open(img, 'w');
    await fh.truncate(POOL_BYTES); // sparse: costs only what the tests write
    await fh.close();
    await mkdir(mount);
    await writeFile(path.join(dir, 'pool.name'), pool);
    await mustRun('zpool', ['create', '-f', '-m', mount, pool, img], 60_000);
    teardowns.push(async () => {
      // "pool is busy" can happen right after a test's last zfs command; try a few times.
      for (let i = 0; ; i++) {
        const r = await run('zpool', ['destroy', '-f', pool], 60_000);
        if (r.code === 0) return;
        if (i >= 4) throw new Error(`zpool destroy ${pool}: ${r.stderr.trim()}`);
        await sleep(1000);
      }
    });
    return { value: { pool, mount }, teardown, note: `${note}pool ${pool} ready in ${secs(t0)}` };
  } catch (e) {
    await teardown();
    throw e;
  }
}

/** sstest* pools whose backing file is gone (their run crashed and its temp dir was removed). */
async function destroyOrphanPools(): Promise<void> {
  const list = await run('zpool', ['list', '-H', '-o', 'name'], 30_000);
  if (list.code !== 0) return;
  for (const pool of list.stdout.split('\n').map((s) => s.trim())) {
    if (!POOL_NAME.test(pool)) continue;
    const st = await run('zpool', ['status', pool], 30_000);
    const files = [...st.stdout.matchAll(/^\s+(\/\S+)\s/gm)].map((x) => x[1]!);
    if (files.length > 0 && files.every((f) => !existsSync(f))) {
      log(`destroying orphan pool ${pool} (backing file ${files.join(', ')} is gone)`);
      await run('zpool', ['destroy', '-f', pool], 60_000);
    }
  }
}

/** A dead run's pool dir: destroy the pool it names. */
export const zfsLeftovers: LeftoverCleaner = {
  clean: async (dir) => {
    try {
      const pool = readFileSync(path.join(dir, 'pool.name'), 'utf8').trim();
      if (POOL_NAME.test(pool)) await run('zpool', ['destroy', '-f', pool], 60_000);
    } catch {
      /* no pool was made */
    }
  },
};

/** A zfs-fuse daemon a dead run started: other runs may be using it by now, so it stays. */
export const zfsDaemonLeftovers: LeftoverCleaner = { quiet: true };
