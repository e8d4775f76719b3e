import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { JobManager, type JobManagerOptions } from '../../../../src/agent/jobs/job-manager.js';
import type { JobContext, JobSpec } from '../../../../src/agent/jobs/job-types.js';
import { decideAdmission } from '../../../../src/agent/jobs/admission.js';
import { ErrorCode, SnapstreamError } from '../../../../src/errors.js';

const MiB = 1024 * 1024;
const log = pino({ level: 'silent' });

function manager(over: Partial<JobManagerOptions> = {}): JobManager {
  return new JobManager({
    maxConcurrentJobs: 2,
    memoryBudgetBytes: 100 * MiB,
    maxQueuedJobs: 2,
    retentionMs: 60_000,
    stallTimeoutMs: 0,
    log,
    ...over,
  });
}

/** A job that runs until released or aborted, reporting progress when told. */
function controllable(key: string, memoryBytes = 10 * MiB) {
  let ctx!: JobContext;
  let release!: (v: string) => void;
  let started = false;
  const spec: JobSpec<string> = {
    kind: 'backup',
    key,
    fingerprint: 'fp-' + key,
    description: key,
    memoryBytes,
    run: (c) =>
      new Promise<string>((resolve, reject) => {
        ctx = c;
        started = true;
        release = resolve;
        c.signal.addEventListener('abort', () => reject(new Error('interrupted step')));
      }),
  };
  return {
    spec,
    get ctx() {
      return ctx;
    },
    get started() {
      return started;
    },
    release: (v = 'ok') => release(v),
  };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('decideAdmission', () => {
  const base = { running: 0, maxConcurrent: 2, reservedBytes: 0, budgetBytes: 100, queued: 0, maxQueued: 1 };
  it('starts when a slot and memory are free', () => {
    expect(decideAdmission(base, 50)).toEqual({ action: 'start' });
  });
  it('refuses a job larger than the whole budget', () => {
    expect(decideAdmission(base, 101)).toEqual({ action: 'refuse', reason: 'never-fits' });
  });
  it('queues when memory is short, refuses when the queue is full', () => {
    expect(decideAdmission({ ...base, reservedBytes: 60 }, 50)).toEqual({ action: 'queue' });
    expect(decideAdmission({ ...base, running: 2 }, 1)).toEqual({ action: 'queue' });
    expect(decideAdmission({ ...base, running: 2, queued: 1 }, 1)).toEqual({ action: 'refuse', reason: 'queue-full' });
  });
  it('keeps FIFO: never jumps a non-empty queue', () => {
    expect(decideAdmission({ ...base, queued: 1, maxQueued: 5 }, 1)).toEqual({ action: 'queue' });
  });
});

describe('JobManager', () => {
  it('runs a job to Done with its result and progress phases', async () => {
    const m = manager();
    const j = controllable('a');
    const phases: string[] = [];
    const { job } = m.submit(j.spec);
    m.subscribe(job.id, (s) => phases.push(s.phase));
    await tick();
    j.ctx.progress({ stage: 'transfer', bytes: 10, part: 1, bytesPerSec: 5 });
    j.release('result');
    const end = await m.wait(job.id);
    expect(end.phase).toBe('Done');
    expect(end.result).toBe('result');
    expect(phases).toContain('InProgress');
    expect(phases.at(-1)).toBe('Done');
    expect(m.reserved).toBe(0);
  });

  it('joins a running and a finished job with the same key', async () => {
    const m = manager();
    const j = controllable('k');
    const first = m.submit(j.spec);
    const again = m.submit(j.spec);
    expect(again.joined).toBe(true);
    expect(again.job.id).toBe(first.job.id);
    await tick();
    j.release();
    await m.wait(first.job.id);
    const after = m.submit(j.spec);
    expect(after.joined).toBe(true);
    expect(after.job.id).toBe(first.job.id);
    expect(after.job.phase).toBe('Done');
  });

  it('refuses the same key with a different request', () => {
    const m = manager();
    m.submit(controllable('k').spec);
    const other = { ...controllable('k').spec, fingerprint: 'different' };
    expect(() => m.submit(other)).toThrow(expect.objectContaining({ code: ErrorCode.ALREADY_EXISTS }));
  });

  it('starts a new job when the earlier one with the key failed', async () => {
    const m = manager();
    const j = controllable('k');
    const first = m.submit(j.spec);
    await tick();
    await m.cancel(first.job.id);
    const retry = m.submit(controllable('k').spec);
    expect(retry.joined).toBe(false);
    expect(retry.job.id).not.toBe(first.job.id);
  });

  it('queues beyond the concurrency limit and starts queued jobs in order', async () => {
    const m = manager({ maxConcurrentJobs: 1 });
    const a = controllable('a');
    const b = controllable('b');
    m.submit(a.spec);
    const qb = m.submit(b.spec);
    expect(qb.job.phase).toBe('Pending');
    await tick();
    expect(b.started).toBe(false);
    a.release();
    await tick();
    await tick();
    expect(b.started).toBe(true);
    expect(m.get(qb.job.id)?.phase).toBe('Init');
  });

  it('enforces the memory budget: queue, then RESOURCE_EXHAUSTED, never over budget', async () => {
    const m = manager({ maxConcurrentJobs: 10, memoryBudgetBytes: 100 * MiB, maxQueuedJobs: 1 });
    const big = controllable('big', 60 * MiB);
    m.submit(big.spec);
    const second = m.submit(controllable('second', 60 * MiB).spec);
    expect(second.job.phase).toBe('Pending');
    expect(m.reserved).toBe(60 * MiB);
    expect(() => m.submit(controllable('third', 10 * MiB).spec)).toThrow(
      expect.objectContaining({ code: ErrorCode.RESOURCE_EXHAUSTED, retryable: true }),
    );
    expect(() => m.submit(controllable('huge', 101 * MiB).spec)).toThrow(
      expect.objectContaining({ code: ErrorCode.RESOURCE_EXHAUSTED, retryable: false }),
    );
  });

  it('cancel aborts the running job with ABORTED and frees its memory', async () => {
    const m = manager();
    const j = controllable('c');
    const { job } = m.submit(j.spec);
    await tick();
    const end = await m.cancel(job.id);
    expect(end.phase).toBe('Failed');
    expect(end.error?.code).toBe(ErrorCode.ABORTED);
    expect(j.ctx.signal.aborted).toBe(true);
    expect(m.reserved).toBe(0);
  });

  it('cancel of a queued job never starts it', async () => {
    const m = manager({ maxConcurrentJobs: 1 });
    m.submit(controllable('a').spec);
    const b = controllable('b');
    const qb = m.submit(b.spec);
    const end = await m.cancel(qb.job.id);
    expect(end.error?.code).toBe(ErrorCode.ABORTED);
    expect(b.started).toBe(false);
  });

  it('aborts a job without progress with STALLED, but not one that keeps moving', async () => {
    const m = manager({ stallTimeoutMs: 300 });
    const moving = controllable('moving');
    const stuck = controllable('stuck');
    const jm = m.submit(moving.spec);
    const js = m.submit(stuck.spec);
    await tick();
    let bytes = 0;
    const t = setInterval(() => moving.ctx.progress({ stage: 'transfer', bytes: (bytes += 1), part: 1, bytesPerSec: 1 }), 50);
    const end = await m.wait(js.job.id);
    clearInterval(t);
    expect(end.phase).toBe('Failed');
    expect(end.error?.code).toBe(ErrorCode.STALLED);
    expect(m.get(jm.job.id)?.phase).toBe('InProgress');
    moving.release();
    expect((await m.wait(jm.job.id)).phase).toBe('Done');
  });

  it('ends Invalid for errors the request itself causes', async () => {
    const m = manager();
    const { job } = m.submit({
      kind: 'backup',
      key: 'inv',
      fingerprint: 'inv',
      description: 'inv',
      memoryBytes: 1,
      run: async () => {
        throw new SnapstreamError(ErrorCode.BASE_MISSING, 'base gone');
      },
    });
    const end = await m.wait(job.id);
    expect(end.phase).toBe('Invalid');
    expect(end.error).toMatchObject({ code: 'BASE_MISSING', message: 'base gone' });
  });

  it('shutdown refuses new jobs and cancels running ones within the grace period', async () => {
    const m = manager();
    const j = controllable('s');
    const { job } = m.submit(j.spec);
    await tick();
    expect(await m.shutdown(1000)).toBe(true);
    expect(m.get(job.id)?.error?.code).toBe(ErrorCode.UNAVAILABLE);
    expect(() => m.submit(controllable('late').spec)).toThrow(expect.objectContaining({ code: ErrorCode.UNAVAILABLE }));
  });

  it('shutdown gives up after the grace period when a job ignores its signal', async () => {
    const m = manager();
    m.submit({ kind: 'backup', key: 'deaf', fingerprint: 'deaf', description: '', memoryBytes: 1, run: () => new Promise(() => {}) });
    await tick();
    const t0 = Date.now();
    expect(await m.shutdown(200)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('forgets finished jobs after the retention period', async () => {
    let now = 1_000_000;
    const m = manager({ retentionMs: 1000, now: () => now });
    const j = controllable('r');
    const { job } = m.submit(j.spec);
    await tick();
    j.release();
    await m.wait(job.id);
    now += 500;
    expect(m.list().map((s) => s.id)).toContain(job.id);
    now += 1000;
    expect(m.list().map((s) => s.id)).not.toContain(job.id);
    expect(() => m.get(job.id) ?? m.subscribe(job.id, () => {})).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    expect(m.submit(controllable('r').spec).joined).toBe(false);
  });
});
