import { generateKeyPairSync } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { StoreCatalog } from '../../../src/controller/backup-catalog.js';
import { Controller } from '../../../src/controller/controller.js';
import { ControllerMetrics } from '../../../src/controller/controller-metrics.js';
import { ErrorCode } from '../../../src/errors.js';
import { type Keyring, publicKeyId } from '../../../src/keys/keyring.js';
import { planRestore } from '../../../src/plan/restore-plan.js';
import { listBackups } from '../../../src/transfer/catalog.js';
import { dataKeyFor } from '../../../src/model/layout.js';
import { MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest, manifestKeyFor, parseManifest, serializeManifest } from '../../../src/model/manifest.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { FakeAgent } from './fake-agent.js';

const log = pino({ level: 'silent' });
const DS = 'tank/pvc-1';
const layout = { backupPathPrefix: '', prefix: '' };
const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (sec: number) => new Date(T0 + sec * 1000);

function manifest(o: Partial<Manifest>): Manifest {
  const backup = o.backup ?? 's1';
  const volume = o.volume ?? 'pvc-1';
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    backup,
    schedule: '',
    volume,
    dataset: DS,
    snapshot: backup,
    snapshotGuid: '1',
    previousSnapshot: '',
    previousSnapshotGuid: '',
    previousBackup: '',
    dataKey: dataKeyFor(layout, backup, volume),
    size: 1,
    hash: 'xxh64',
    streamHash: '0000000000000000',
    parts: [{ n: 1, offset: 0, size: 1, xxh64: '0000000000000000' }],
    startedAt: '2026-03-01T09:00:00.000Z',
    finishedAt: '2026-03-01T09:00:01.000Z',
    agent: { name: 'snapstream', version: '1.0.0' },
    sendArgs: [],
    ...o,
  };
}

async function put(store: MemoryStore, key: string, m: Manifest): Promise<void> {
  await store.put(key, serializeManifest(m));
}

describe('a planted manifest naming a foreign snapshot', () => {
  it('does not make the controller destroy it; the refusal is counted', async () => {
    const cfg = parseConfig([
      {
        file: 't.yaml',
        text: [
          'apiVersion: snapstream.io/v1',
          'kind: SnapstreamConfig',
          'locations:',
          '  - name: main',
          '    provider: local',
          '    path: /unused',
          '    disableIncrementalBackups: false',
          'schedules:',
          '  - name: every10s',
          '    schedule: "@every 10s"',
          '    keepLast: 1',
          '    volumes:',
          '      - volume: pvc-1',
          `        dataset: ${DS}`,
        ].join('\n'),
      },
    ]);
    const store = new MemoryStore();
    const agent = new FakeAgent(store);
    agent.addDataset(DS);
    await agent.createSnapshot(DS, 'precious-manual');
    // Planted at the key of a (past) scheduled backup: schedule, volume and dataset all match.
    const planted = manifest({ backup: 'every10s-20260301095950', schedule: 'every10s', snapshot: 'precious-manual', snapshotGuid: '1001' });
    await put(store, manifestKeyFor(planted.dataKey), planted);
    agent.calls.length = 0;
    const metrics = new ControllerMetrics();
    const controller = new Controller({ config: cfg, agent, openCatalog: async () => new StoreCatalog(store, layout, log), log, metrics, retry: { maxAttempts: 1, delayMs: 1000 } });
    for (const s of [0, 10, 20]) expect((await controller.runSlot(cfg.schedules[0]!, at(s))).lastResult).toBe('succeeded');
    expect(agent.snapshots(DS)).toContain('precious-manual');
    expect(agent.calls.filter((c) => c.includes('precious-manual'))).toEqual([]);
    // Never the base of a backup either.
    const backups = (await listBackups(store, layout)).backups.filter((m) => m.snapshot !== 'precious-manual');
    expect(backups.every((m) => m.previousSnapshot !== 'precious-manual')).toBe(true);
    expect(await metrics.registry.getSingleMetricAsString('snapstream_schedule_snapshots_kept_total')).toMatch(/schedule="every10s",reason="foreign-name"} [1-9]/);
  });

  it('a schedule-named snapshot re-created under the same name (other guid) is kept: SNAPSHOT_MISMATCH', async () => {
    const store = new MemoryStore();
    const agent = new FakeAgent(store);
    agent.addDataset(DS);
    await agent.createSnapshot(DS, 'every10s-20260301100000');
    await expect(agent.destroySnapshot(DS, 'every10s-20260301100000', undefined, '999')).rejects.toMatchObject({ code: ErrorCode.SNAPSHOT_MISMATCH });
    expect(agent.snapshots(DS)).toEqual(['every10s-20260301100000']);
  });
});

describe('manifests bound to their key', () => {
  it('a manifest under backups/evil/ claiming to be s1 is invalid and never shadows s1 (ls, chain planning)', async () => {
    const store = new MemoryStore();
    const s1 = manifest({ backup: 's1', snapshotGuid: '11' });
    const s2 = manifest({ backup: 's2', snapshotGuid: '22', previousSnapshot: 's1', previousSnapshotGuid: '11', previousBackup: 's1' });
    await put(store, manifestKeyFor(s1.dataKey), s1);
    await put(store, manifestKeyFor(s2.dataKey), s2);
    const evilKey = dataKeyFor(layout, 'evil', 'pvc-1');
    await put(store, manifestKeyFor(evilKey), { ...s1, dataKey: evilKey, snapshotGuid: '11' });
    const cat = await listBackups(store, layout);
    expect(cat.backups.map((m) => m.backup)).toEqual(['s1', 's2']);
    expect(cat.invalid.map((i) => i.key)).toEqual([manifestKeyFor(evilKey)]);
    expect(cat.invalid[0]!.error).toMatch(/claims to be backup s1/);
    expect(planRestore(cat.backups, { backup: 's2', volume: 'pvc-1' }, true).map((m) => m.backup)).toEqual(['s1', 's2']);
  });
});

describe('manifest strings are names', () => {
  const bytes = (o: Partial<Manifest>) => serializeManifest(manifest(o));
  it.each([
    ['dataset', { dataset: 'tank/\x1b]0;pwned\x07x' }],
    ['dataset', { dataset: 'tank/a\u009b31mb' }],
    ['snapshot', { snapshot: '-R' }],
    ['previousSnapshot', { previousSnapshot: 'a b' }],
    ['schedule', { schedule: 'x\x1b[2J' }],
    ['finishedAt', { finishedAt: '\x1b[2J' }],
    ['agent', { agent: { name: 'snapstream', version: '\x1b[31m' } }],
  ] as Array<[string, Partial<Manifest>]>)('refuses a bad %s with MANIFEST_INVALID, quoting it escaped', (field, o) => {
    let err: unknown;
    try {
      parseManifest(bytes(o), 'k');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: ErrorCode.MANIFEST_INVALID, details: { field } });
    // eslint-disable-next-line no-control-regex
    expect((err as Error).message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it('accepts what snapstream writes', () => {
    expect(parseManifest(bytes({ schedule: 'daily', previousSnapshot: 'daily-20260301', previousBackup: 'daily-20260301' }), 'k').dataset).toBe(DS);
  });
});

describe('part size claims', () => {
  it('a manifest declaring a part over MAX_PART_BYTES (1 GiB) is MANIFEST_INVALID', () => {
    const big = 1024 ** 3 + 1;
    const bytes = serializeManifest(manifest({ size: big, parts: [{ n: 1, offset: 0, size: big, xxh64: '0000000000000000' }] }));
    expect(() => parseManifest(bytes, 'k')).toThrow(/parts\[0\]\.size must be an integer between 0 and 1073741824/);
  });
});

describe('SNAPSTREAM_MAX_PART_SIZE', () => {
  it('parses a quantity within 5Mi..5Gi, defaults to 1 GiB, refuses the rest', async () => {
    const { parseMaxPartSize } = await import('../../../src/model/max-part-size.js');
    expect(parseMaxPartSize(undefined)).toBe(1024 ** 3);
    expect(parseMaxPartSize('4Gi')).toBe(4 * 1024 ** 3);
    expect(() => parseMaxPartSize('6Gi')).toThrow(/outside 5Mi..5Gi/);
    expect(() => parseMaxPartSize('1Mi')).toThrow(/outside 5Mi..5Gi/);
  });

  it('raises the cap for readers and the part plan alike', async () => {
    process.env.SNAPSTREAM_MAX_PART_SIZE = '2Gi';
    try {
      vi.resetModules();
      const fresh = await import('../../../src/model/manifest.js');
      const plan = await import('../../../src/plan/part-plan.js');
      const big = 2 * 1024 ** 3;
      const bytes = serializeManifest(manifest({ size: big, parts: [{ n: 1, offset: 0, size: big, xxh64: '0000000000000000' }] }));
      expect(fresh.parseManifest(bytes, 'k').parts[0]!.size).toBe(big);
      expect(plan.planParts({ limits: { minPartSize: 1, maxPartSize: 5 * 1024 ** 3, maxParts: 10_000, parallelParts: true } }).maxPartSize).toBe(big);
    } finally {
      delete process.env.SNAPSTREAM_MAX_PART_SIZE;
      vi.resetModules();
    }
  });
});

describe('with trusted keys, the controller destroys only what a signed manifest names', () => {
  const config = () =>
    parseConfig([
      {
        file: 't.yaml',
        text: [
          'apiVersion: snapstream.io/v1',
          'kind: SnapstreamConfig',
          'locations:',
          '  - name: main',
          '    provider: local',
          '    path: /unused',
          '    disableIncrementalBackups: true',
          'schedules:',
          '  - name: every10s',
          '    schedule: "@every 10s"',
          '    keepLast: 1',
          '    volumes:',
          '      - volume: pvc-1',
          `        dataset: ${DS}`,
        ].join('\n'),
      },
    ]);

  /** An unsigned manifest of an older slot naming a real schedule snapshot, with its real guid. */
  async function plant(keys?: Keyring) {
    const cfg = config();
    const store = new MemoryStore();
    const agent = new FakeAgent(store);
    agent.addDataset(DS);
    const snap = 'every10s-20260301095950';
    await agent.createSnapshot(DS, snap);
    const guid = '1001'; // FakeAgent numbers guids from 1001: this is the snapshot's real guid
    const planted = manifest({ backup: snap, schedule: 'every10s', snapshot: snap, snapshotGuid: guid });
    await put(store, manifestKeyFor(planted.dataKey), planted);
    const metrics = new ControllerMetrics();
    const controller = new Controller({ config: cfg, agent, openCatalog: async () => new StoreCatalog(store, layout, log, keys), log, metrics, retry: { maxAttempts: 1, delayMs: 1000 } });
    // One slot: the planted backup is the previous base, which cleanup wants to destroy on the
    // manifest's word (a later slot would sweep it as an orphan of the schedule's own naming).
    expect((await controller.runSlot(cfg.schedules[0]!, at(0))).lastResult).toBe('succeeded');
    return { snapshots: agent.snapshots(DS), snap, metrics };
  }

  it('without keys the expired backup of a schedule-named snapshot with its guid is destroyed (the contrast)', async () => {
    const r = await plant();
    expect(r.snapshots).not.toContain(r.snap);
  });

  it('with a trusted key, the same unsigned manifest does not get its snapshot destroyed; the refusal is counted', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const keys: Keyring = { trusted: new Map([[publicKeyId(publicKey), publicKey]]) };
    const r = await plant(keys);
    expect(r.snapshots).toContain(r.snap);
    expect(await r.metrics.registry.getSingleMetricAsString('snapstream_schedule_snapshots_kept_total')).toMatch(/reason="unauthenticated"} [1-9]/);
  });
});
