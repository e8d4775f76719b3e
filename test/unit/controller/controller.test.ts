import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import type { SnapstreamConfig } from '../../../src/config/types.js';
import { type BackupCatalog, StoreCatalog, statusKey } from '../../../src/controller/backup-catalog.js';
import { SnapstreamError } from '../../../src/errors.js';
import { type Clock, Controller } from '../../../src/controller/controller.js';
import { ControllerMetrics } from '../../../src/controller/controller-metrics.js';
import { planRestore } from '../../../src/plan/restore-plan.js';
import { listBackups } from '../../../src/transfer/catalog.js';
import type { Manifest } from '../../../src/model/manifest.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { FakeAgent } from './fake-agent.js';

const log = pino({ level: 'silent' });
const DS = 'tank/pvc-1';
const T0 = Date.parse('2026-03-01T10:00:00Z');
const at = (sec: number) => new Date(T0 + sec * 1000);

function config(opts: { incremental: boolean; keepLast?: number; ttl?: string; every?: string }): SnapstreamConfig {
  const lines = [
    'apiVersion: snapstream.io/v1',
    'kind: SnapstreamConfig',
    'locations:',
    '  - name: main',
    '    provider: local',
    '    path: /unused',
    `    disableIncrementalBackups: ${opts.incremental ? 'false' : 'true'}`,
    'schedules:',
    '  - name: every10s',
    `    schedule: "@every ${opts.every ?? '10s'}"`,
    ...(opts.keepLast !== undefined ? [`    keepLast: ${opts.keepLast}`] : []),
    ...(opts.ttl !== undefined ? [`    ttl: ${opts.ttl}`] : []),
    ...(opts.ttl === undefined && opts.keepLast === undefined ? ['    keepLast: 100'] : []),
    '    volumes:',
    '      - volume: pvc-1',
    `        dataset: ${DS}`,
  ];
  return parseConfig([{ file: 'test.yaml', text: lines.join('\n') + '\n' }]);
}

/** Virtual time: sleeping moves the clock forward at once. */
class FakeClock implements Clock {
  constructor(public t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason;
    this.t += ms;
    await new Promise((r) => setImmediate(r));
    if (signal.aborted) throw signal.reason;
  }
}

function bed(
  cfg: SnapstreamConfig,
  opts: { retry?: { maxAttempts: number; delayMs: number }; clock?: Clock; store?: MemoryStore; agent?: FakeAgent; wrap?: (c: StoreCatalog) => BackupCatalog } = {},
) {
  const store = opts.store ?? new MemoryStore();
  const agent = opts.agent ?? new FakeAgent(store);
  if (!agent.pools.has(DS)) agent.addDataset(DS);
  const metrics = new ControllerMetrics();
  const layout = { backupPathPrefix: '', prefix: '' };
  const controller = new Controller({
    config: cfg,
    agent,
    openCatalog: async () => (opts.wrap ?? ((c) => c))(new StoreCatalog(store, layout, log)),
    log,
    metrics,
    retry: opts.retry ?? { maxAttempts: 1, delayMs: 1000 },
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const backups = async (): Promise<Manifest[]> => (await listBackups(store, layout)).backups;
  return { store, agent, controller, metrics, backups, schedule: cfg.schedules[0]! };
}

describe('controller, full mode (disableIncrementalBackups: "true")', () => {
  it('makes a full backup per slot and leaves no snapshot on the pool', async () => {
    const b = bed(config({ incremental: false }));
    for (const s of [0, 10, 20]) expect((await b.controller.runSlot(b.schedule, at(s))).lastResult).toBe('succeeded');
    const all = await b.backups();
    expect(all.map((m) => m.backup)).toEqual(['every10s-20260301100000', 'every10s-20260301100010', 'every10s-20260301100020']);
    expect(all.every((m) => m.previousSnapshot === '')).toBe(true);
    // The seed's trap: a full backup's snapshot must not be kept as an unused "base".
    expect(b.agent.snapshots(DS)).toEqual([]);
  });

  it('keepLast expires the oldest backups: manifest and data', async () => {
    const b = bed(config({ incremental: false, keepLast: 2 }));
    for (const s of [0, 10, 20, 30]) await b.controller.runSlot(b.schedule, at(s));
    expect((await b.backups()).map((m) => m.backup)).toEqual(['every10s-20260301100020', 'every10s-20260301100030']);
    expect([...b.store.objects.keys()].filter((k) => k.includes('100000') || k.includes('100010'))).toEqual([]);
    expect(await b.metrics.registry.getSingleMetricAsString('snapstream_schedule_backups_expired_total')).toMatch(/every10s"} 2/);
  });

  it('ttl expires by the slot time in the name; the newest backup never expires', async () => {
    const b = bed(config({ incremental: false, ttl: '15s' }), { clock: new FakeClock(T0 + 3_600_000) });
    for (const s of [0, 10, 20]) await b.controller.runSlot(b.schedule, at(s));
    // An hour later every backup is older than the TTL, but the newest stays.
    expect((await b.backups()).map((m) => m.backup)).toEqual(['every10s-20260301100020']);
  });

  it('running a slot again (restart, retry) makes no second backup and redoes only the cleanup', async () => {
    const b = bed(config({ incremental: false }));
    await b.controller.runSlot(b.schedule, at(0));
    // A crash between commit and cleanup: the snapshot is still there.
    await b.agent.createSnapshot(DS, 'every10s-20260301100000');
    b.agent.calls.length = 0;
    const st = await b.controller.runSlot(b.schedule, at(0));
    expect(st.lastResult).toBe('succeeded');
    expect(b.agent.calls).toEqual([`destroy ${DS}@every10s-20260301100000`]);
    expect(await b.backups()).toHaveLength(1);
  });
});

describe('controller, incremental mode', () => {
  it('first backup full, then incremental from the last completed; only the newest snapshot stays', async () => {
    const b = bed(config({ incremental: true }));
    for (const s of [0, 10, 20]) await b.controller.runSlot(b.schedule, at(s));
    const all = await b.backups();
    expect(all.map((m) => m.previousSnapshot)).toEqual(['', 'every10s-20260301100000', 'every10s-20260301100010']);
    expect(b.agent.snapshots(DS)).toEqual(['every10s-20260301100020']);
    expect(planRestore(all, { backup: 'every10s-20260301100020', volume: 'pvc-1' }, true).map((m) => m.backup)).toHaveLength(3);
  });

  it('a failed first backup does not poison the schedule (openebs#2926)', async () => {
    const b = bed(config({ incremental: true }));
    b.agent.failures.push({ code: 'STORE_FAILED', retryable: true });
    const first = await b.controller.runSlot(b.schedule, at(0));
    expect(first.lastResult).toBe('failed');
    expect(first.lastError).toMatch(/STORE_FAILED/);
    // The failed backup deleted its own snapshot.
    expect(b.agent.snapshots(DS)).toEqual([]);
    const second = await b.controller.runSlot(b.schedule, at(10));
    expect(second.lastResult).toBe('succeeded');
    expect(second.consecutiveFailures).toBe(0);
    const all = await b.backups();
    expect(all.map((m) => [m.backup, m.previousSnapshot])).toEqual([['every10s-20260301100010', '']]);
  });

  it('retries a failed run before the next slot', async () => {
    const b = bed(config({ incremental: true, every: '1h' }), { retry: { maxAttempts: 3, delayMs: 1000 }, clock: new FakeClock(T0) });
    b.agent.failures.push({ code: 'UNAVAILABLE', retryable: true }, { code: 'STALLED', retryable: true });
    const st = await b.controller.runSlot(b.schedule, at(0));
    expect(st.lastResult).toBe('succeeded');
    expect(st.attempts).toBe(3);
    expect(await b.backups()).toHaveLength(1);
    expect(await b.metrics.registry.getSingleMetricAsString('snapstream_schedule_retries_total')).toMatch(/} 2/);
  });

  it('does not retry an error a retry cannot fix, and reports it', async () => {
    const b = bed(config({ incremental: true, every: '1h' }), { retry: { maxAttempts: 3, delayMs: 1000 }, clock: new FakeClock(T0) });
    b.agent.failures.push({ code: 'INVALID_LOCATION', retryable: false });
    const st = await b.controller.runSlot(b.schedule, at(0));
    expect(st).toMatchObject({ lastResult: 'failed', attempts: 1, consecutiveFailures: 1 });
    const stored = JSON.parse(b.store.objects.get(statusKey({ backupPathPrefix: '', prefix: '' }, 'every10s'))!.toString());
    expect(stored).toMatchObject({ lastResult: 'failed', lastBackup: 'every10s-20260301100000' });
  });

  it('an incremental base gone from the pool makes the next backup full instead of failing', async () => {
    const b = bed(config({ incremental: true }));
    await b.controller.runSlot(b.schedule, at(0));
    await b.agent.destroySnapshot(DS, 'every10s-20260301100000');
    await b.controller.runSlot(b.schedule, at(10));
    expect((await b.backups()).map((m) => m.previousSnapshot)).toEqual(['', '']);
  });

  it('retention never breaks a chain: it promotes to a full backup, then expires the old chain whole', async () => {
    const b = bed(config({ incremental: true, keepLast: 2 }));
    const history: string[][] = [];
    for (let i = 0; i < 8; i++) {
      await b.controller.runSlot(b.schedule, at(i * 10));
      const all = await b.backups();
      // Every backup that is listed can be restored.
      for (const m of all) expect(() => planRestore(all, { backup: m.backup, volume: 'pvc-1' }, true)).not.toThrow();
      history.push(all.map((m) => `${m.backup.slice(-2)}${m.previousSnapshot ? '+' : 'F'}`));
    }
    // Chains of at most keepLast+1 links: a full, then incrementals, then a new full when the
    // old chain's base expired; the old chain goes once nothing live needs it.
    const last = history.at(-1)!;
    expect(last.length).toBeLessThanOrEqual(4);
    expect(history.some((h) => h.filter((x) => x.endsWith('F')).length === 2)).toBe(true);
    expect((await b.backups()).filter((m) => m.previousSnapshot === '').length).toBeGreaterThanOrEqual(1);
    expect(b.agent.snapshots(DS)).toHaveLength(1);
  });
});

describe('controller loop', () => {
  it('runs slots on time, catches up a missed slot once, and resumes a run a stopped controller left', async () => {
    const clock = new FakeClock(T0 + 5_000);
    const cfg = config({ incremental: true });
    const store = new MemoryStore();
    const agent = new FakeAgent(store);
    agent.addDataset(DS);
    const b = bed(cfg, { clock, store, agent });
    b.controller.start();
    while ((await b.backups()).length < 3) await new Promise((r) => setImmediate(r));
    await b.controller.stop();
    expect((await b.backups()).map((m) => m.backup.slice(-6))).toEqual(['100010', '100020', '100030']);

    // Down for a minute: five slots pass. One catch-up run covers them, named after the latest.
    clock.t += 60_000;
    // And the previous controller died mid-run of slot 100040: status "running", snapshot left.
    const layout = { backupPathPrefix: '', prefix: '' };
    const status = JSON.parse(store.objects.get(statusKey(layout, 'every10s'))!.toString());
    await store.put(statusKey(layout, 'every10s'), Buffer.from(JSON.stringify({ ...status, lastSlot: at(40).toISOString(), lastBackup: 'every10s-20260301100040', lastResult: 'running' })));
    await agent.createSnapshot(DS, 'every10s-20260301100040');
    const catchUp = new Date(Math.floor(clock.t / 10_000) * 10_000).toISOString().replace(/\D/g, '').slice(8, 14);
    const c2 = bed(cfg, { clock, store, agent });
    c2.controller.start();
    while ((await b.backups()).length < 5) await new Promise((r) => setImmediate(r));
    await c2.controller.stop();
    const names = (await b.backups()).map((m) => m.backup.slice(-6));
    expect(names.slice(0, 5)).toEqual(['100010', '100020', '100030', '100040', catchUp]);
    expect(await c2.metrics.registry.getSingleMetricAsString('snapstream_schedule_missed_slots_total')).toMatch(/} [1-9]/);
    // Incremental chain intact across the restart.
    const all = await b.backups();
    expect(planRestore(all, { backup: all[4]!.backup, volume: 'pvc-1' }, true)).toHaveLength(5);
  });
});

describe('controller loop, store outages', () => {
  it('keeps a schedule alive through an unreachable bucket at start and a failed status write', async () => {
    const clock = new FakeClock(T0 + 5_000);
    let listFailures = 2;
    let writeFailures = 0;
    const outage = () => new SnapstreamError('STORE_FAILED', 'bucket unreachable', { retryable: true });
    const b = bed(config({ incremental: false }), {
      clock,
      wrap: (c) => ({
        list: async (signal) => {
          if (listFailures-- > 0) throw outage();
          return c.list(signal);
        },
        delete: (m, signal) => c.delete(m, signal),
        readStatus: (name, signal) => c.readStatus(name, signal),
        writeStatus: async (st, signal) => {
          // The first run's opening status write fails: that run is lost and reported, not the schedule.
          if (writeFailures++ === 0) throw outage();
          return c.writeStatus(st, signal);
        },
        describe: () => c.describe(),
        close: () => c.close(),
      }),
    });
    b.controller.start();
    while ((await b.backups()).length < 2) await new Promise((r) => setImmediate(r));
    await b.controller.stop();
    expect(await b.metrics.registry.getSingleMetricAsString('snapstream_schedule_runs_total')).toMatch(/result="failed"} 1/);
    // Slot 100010 was the lost run; the schedule went on at the next slots.
    expect((await b.backups()).map((m) => m.backup.slice(-6))).toEqual(['100020', '100030']);
  });
});
