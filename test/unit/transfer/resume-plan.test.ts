import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import type { PartPlan } from '../../../src/plan/part-plan.js';
import { PROGRESS_FORMAT, PROGRESS_VERSION, type ProgressRecord, parseProgress, progressKeyFor, serializeProgress } from '../../../src/transfer/progress-record.js';
import { ResumeMismatch, alreadyStored, planResume, whyNotResumable } from '../../../src/transfer/resume-plan.js';
import { isDataKey } from '../../../src/model/layout.js';

const plan: PartPlan = { initialPartSize: 100, growEvery: 2, maxPartSize: 1000, maxParts: 10 };
const h = (c: string) => c.repeat(16);
// Sizes by plan: 100, 100, 200, 200, 400, ...; offsets 0, 100, 200, 400, 600.
const record = (): ProgressRecord => ({
  format: PROGRESS_FORMAT,
  version: PROGRESS_VERSION,
  dataKey: 'backups/b/v-b',
  uploadHandle: 'upload-1',
  snapshotGuid: '123',
  previousSnapshotGuid: '',
  sendArgs: ['send', 'pool/v@b'],
  partPlan: plan,
  parts: [
    { n: 1, offset: 0, size: 100, xxh64: h('a'), receipt: '"e1"' },
    { n: 2, offset: 100, size: 100, xxh64: h('b'), receipt: '"e2"' },
    { n: 4, offset: 400, size: 200, xxh64: h('d'), receipt: '"e4"' },
  ],
  startedAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:01.000Z',
});
const id = { dataKey: 'backups/b/v-b', snapshotGuid: '123', previousSnapshotGuid: '', sendArgs: ['send', 'pool/v@b'], partPlan: plan };

describe('progress record', () => {
  it('lives next to the data object and is neither data nor a manifest', () => {
    expect(progressKeyFor('backups/b/v-b')).toBe('backups/b/v-b.snapstream-progress.json');
    expect(isDataKey(progressKeyFor('backups/b/v-b'))).toBe(false);
  });

  it('round-trips and refuses malformed records', () => {
    const r = record();
    expect(parseProgress(serializeProgress(r), 'x')).toEqual(r);
    const bad = (mut: (o: any) => void) => {
      const o = JSON.parse(JSON.stringify(r));
      mut(o);
      return () => parseProgress(Buffer.from(JSON.stringify(o)), 'x');
    };
    expect(bad((o) => (o.format = 'other'))).toThrow(expect.objectContaining({ code: ErrorCode.MANIFEST_INVALID }));
    expect(bad((o) => (o.parts[1].n = 1))).toThrow(/ascending/);
    expect(bad((o) => (o.parts[0].xxh64 = 'zz'))).toThrow(/xxh64/);
    expect(bad((o) => (o.partPlan.initialPartSize = -1))).toThrow(/initialPartSize/);
    expect(bad((o) => (o.snapshotGuid = '12a'))).toThrow(/snapshotGuid/);
    expect(() => parseProgress(Buffer.from('{'), 'x')).toThrow(/not JSON/);
  });
});

describe('whyNotResumable', () => {
  it('accepts the same stream and names what changed otherwise', () => {
    expect(whyNotResumable(record(), id)).toBeUndefined();
    expect(whyNotResumable(record(), { ...id, snapshotGuid: '124' })).toMatch(/guid changed/);
    expect(whyNotResumable(record(), { ...id, previousSnapshotGuid: '9' })).toMatch(/incremental base changed/);
    expect(whyNotResumable(record(), { ...id, sendArgs: ['send', '-i', 'pool/v@a', 'pool/v@b'] })).toMatch(/send arguments changed/);
    expect(whyNotResumable(record(), { ...id, partPlan: { ...plan, initialPartSize: 200 } })).toMatch(/part plan changed/);
    expect(whyNotResumable({ ...record(), parts: [] }, id)).toMatch(/no part/);
  });
});

describe('planResume', () => {
  it('skips exactly the recorded parts the server holds as recorded', () => {
    const p = planResume(record(), plan, {
      parts: [
        { number: 1, size: 100, etag: '"e1"' },
        { number: 2, size: 100, etag: '"other"' },
        { number: 3, size: 200, etag: '"e3"' },
        { number: 4, size: 200, etag: '"e4"' },
      ],
    });
    expect([...p.stored].sort()).toEqual([1, 4]);
    expect(p.storedBytes).toBe(300);
    expect(p.dropped.map((d) => d.n)).toEqual([2]);
    expect(p.dropped[0]!.why).toMatch(/ETag/);
  });

  it('counts parts missing on the server, or with another size, as not stored', () => {
    const p = planResume(record(), plan, { parts: [{ number: 1, size: 99, etag: '"e1"' }] });
    expect(p.stored.size).toBe(0);
    expect(p.dropped.map((d) => d.why)).toEqual([expect.stringMatching(/holds 99 bytes/), expect.stringMatching(/does not hold/), expect.stringMatching(/does not hold/)]);
  });

  it('with only a written extent (local file), trusts parts that end within it', () => {
    const p = planResume(record(), plan, { writtenBytes: 250 });
    expect([...p.stored].sort()).toEqual([1, 2]);
    expect(planResume(record(), plan, {}).stored.size).toBe(0);
  });

  it('ignores recorded parts that do not fit the plan (a corrupt record cannot make it skip bytes)', () => {
    const r = record();
    r.parts[2] = { n: 4, offset: 300, size: 200, xxh64: h('d') };
    const p = planResume(r, plan, { writtenBytes: 10_000 });
    expect(p.stored.has(4)).toBe(false);
    expect(p.expected.has(4)).toBe(false);
    expect(p.dropped.find((d) => d.n === 4)!.why).toMatch(/do not fit the part plan/);
  });
});

describe('alreadyStored', () => {
  const p = planResume(record(), plan, { writtenBytes: 10_000 });
  it('skips a stored part that regenerated equal, uploads unrecorded ones', () => {
    expect(alreadyStored(p, { n: 1, offset: 0, size: 100, xxh64: h('a') })).toBe(true);
    expect(alreadyStored(p, { n: 3, offset: 200, size: 200, xxh64: h('c') })).toBe(false);
  });
  it('throws ResumeMismatch when a regenerated part differs', () => {
    expect(() => alreadyStored(p, { n: 2, offset: 100, size: 100, xxh64: h('f') })).toThrow(ResumeMismatch);
    expect(() => alreadyStored(p, { n: 4, offset: 400, size: 150, xxh64: h('d') })).toThrow(/150 bytes now, 200 recorded/);
  });
});
