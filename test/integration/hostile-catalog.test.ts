import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackup } from '../../src/transfer/backup.js';
import { readManifest } from '../../src/transfer/catalog.js';
import { dataKeyFor } from '../../src/model/layout.js';
import { manifestKeyFor, serializeManifest } from '../../src/model/manifest.js';
import { parseSnapshotShortName } from '../../src/zfs/names.js';
import { REPO, ensureBuilt } from '../agent/helpers/agent-process.js';
import { type TestLocation, makeLocation, makeZfs, mountpointOf, silentLog, testDataset } from '../helpers/core-fixture.js';
import { destroyDataset, needs, uniqueName, writeRandomFile } from '../helpers/test-env.js';

/**
 * Issue 10, finding 5: manifests were not bound to their key (one planted in backups/evil/ claiming to
 * be s1 made `ls` show two s1 and broke a chain restore) and their strings reached the terminal raw.
 */
const zfs = makeZfs();
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function cli(args: string[]) {
  ensureBuilt();
  return spawnSync(process.execPath, [path.join(REPO, 'bin/snapstream.js'), ...args], { encoding: 'utf8', timeout: 120_000 });
}

describe.skipIf(!needs('zfs'))('planted manifests in a local location', () => {
  let t: TestLocation;
  let src: string;
  const targets: string[] = [];
  beforeAll(async () => {
    t = await makeLocation('local');
    src = testDataset(uniqueName('csrc'));
    await zfs.run(['create', src]);
    await writeRandomFile(path.join(await mountpointOf(zfs, src as never), 'a.bin'), 256 * 1024);
    await zfs.snapshot(src as never, parseSnapshotShortName('s1'));
    await writeRandomFile(path.join(await mountpointOf(zfs, src as never), 'b.bin'), 128 * 1024);
    await zfs.snapshot(src as never, parseSnapshotShortName('s2'));
    const deps = { zfs, store: t.store, log: silentLog };
    await runBackup({ dataset: src as never, snapshot: parseSnapshotShortName('s1'), backup: 's1', volume: 'vol', layout: t.loc.layout }, deps);
    await runBackup(
      { dataset: src as never, snapshot: parseSnapshotShortName('s2'), previousSnapshot: parseSnapshotShortName('s1'), previousBackup: 's1', backup: 's2', volume: 'vol', layout: t.loc.layout },
      deps,
    );
    // The attacker copies s1's manifest under another backup's key (its data key still names s1's data).
    const s1 = await readManifest(t.store, t.loc.layout, 's1', 'vol');
    await t.store.put(manifestKeyFor(dataKeyFor(t.loc.layout, 'evil', 'vol')), serializeManifest({ ...s1, dataKey: dataKeyFor(t.loc.layout, 'evil', 'vol') }));
    await t.store.put(dataKeyFor(t.loc.layout, 'evil', 'vol'), Buffer.from('x'));
    // ... and one whose dataset carries terminal escape sequences (OSC title, screen clear, C1 CSI).
    const escKey = dataKeyFor(t.loc.layout, 'esc', 'vol');
    await t.store.put(escKey, Buffer.from('x'));
    await t.store.put(
      manifestKeyFor(escKey),
      serializeManifest({ ...s1, backup: 'esc', dataKey: escKey, dataset: 'tank/\u001b]0;owned\u0007\u001b[2J\u009b31mx', snapshot: 'esc' }),
    );
  });
  afterAll(async () => {
    for (const d of targets) await destroyDataset(d).catch(() => {});
    if (src) await destroyDataset(src).catch(() => {});
    await t?.cleanup();
  });

  it('ls shows one s1; the planted copy is reported invalid', () => {
    const r = cli(['ls', t.url, '--json', '--all']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { backups: { backup: string }[]; invalid: { key: string; error: string }[] };
    expect(out.backups.map((b) => b.backup)).toEqual(['s1', 's2']);
    expect(out.invalid.map((i) => i.key).sort()).toEqual([
      manifestKeyFor(dataKeyFor(t.loc.layout, 'esc', 'vol')),
      manifestKeyFor(dataKeyFor(t.loc.layout, 'evil', 'vol')),
    ]);
    expect(out.invalid.find((i) => i.key.includes('evil'))!.error).toMatch(/claims to be backup s1/);
  });

  it('escape sequences in a manifest dataset never reach the terminal (ls, ls --all, --json)', () => {
    for (const args of [['ls', t.url], ['ls', t.url, '--all'], ['ls', t.url, '--json', '--all']]) {
      const r = cli(args);
      expect(r.status).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(CONTROL);
    }
    expect(cli(['ls', t.url, '--all']).stdout).toMatch(/invalid manifest: .*esc.*"dataset" is not a valid name \(.*(\\u001b|\\u\{1b\})/);
  });

  it('a chain restore of s2 still works', async () => {
    const target = testDataset(uniqueName('cdst'));
    targets.push(target);
    const r = cli(['restore', '--from', t.url, '--backup', 's2', '--volume', 'vol', '--target', target, '--chain', '-q']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/restored .*@s2 from s1 -> s2/);
  });
});
