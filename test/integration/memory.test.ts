import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSnapshotShortName } from '../../src/zfs/names.js';
import { makeZfs, mountpointOf, testDataset } from '../helpers/core-fixture.js';
import { needs, uniqueName } from '../helpers/test-env.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MiB = 1024 * 1024;
const STREAM_MIB = Number(process.env.SNAPSTREAM_TEST_MEMORY_MIB ?? 2200);

/**
 * Peak memory of a multi-GiB backup is bounded by the part buffers, not by the stream size. Measured
 * from the OS (GNU time's max RSS of the CLI process). The margin is generous on purpose: this guards
 * against unbounded buffering (which would show as GiBs), not against a few MiB of drift; the bench
 * reports the exact figures.
 */
describe.skipIf(!needs('zfs') || !(process.platform === 'linux'))('bounded memory', () => {
  const zfs = makeZfs();
  const ds = testDataset(uniqueName('mem'));
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'snapstream-mem-'));
    await zfs.run(['create', ds]);
    // zeros are stored as data (compression is off), so the stream is as large as the file
    const r = spawnSync('dd', ['if=/dev/zero', `of=${path.join(await mountpointOf(zfs, ds), 'zero')}`, 'bs=1M', `count=${STREAM_MIB}`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    await zfs.snapshot(ds, parseSnapshotShortName('s1'));
  }, 300_000);
  afterAll(async () => {
    await zfs.destroyDataset(ds).catch(() => {});
    await fs.rm(dir, { recursive: true, force: true });
  });

  it(`a ${STREAM_MIB} MiB backup stays within (concurrency + 1) x part size + a constant`, () => {
    const concurrency = 4;
    const partMiB = 8;
    const r = spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, path.join(ROOT, 'bin/snapstream.js'), 'backup', `${ds}@s1`, '--to', `file://${dir}`,
      '--concurrency', String(concurrency), '--part-size', `${partMiB}Mi`, '-q'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const rssMiB = Number(/maxrss_kb=(\d+)/.exec(r.stderr)![1]) / 1024;
    const bound = 160 + (concurrency + 1) * partMiB;
    console.log(`peak RSS ${rssMiB.toFixed(0)} MiB for a ${STREAM_MIB} MiB stream (bound ${bound} MiB)`);
    expect(r.stdout).toMatch(/in \d+ parts/);
    expect(rssMiB).toBeLessThan(bound);
    expect(rssMiB).toBeLessThan(STREAM_MIB / 4);
  }, 300_000);
});
