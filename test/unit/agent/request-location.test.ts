import { describe, expect, it } from 'vitest';
import { resolveLocation } from '../../../src/agent/request-location.js';
import { largestPartFor, memoryForTransfer, JOB_OVERHEAD_BYTES } from '../../../src/agent/jobs/memory-for-transfer.js';
import { fingerprint, idempotencyKey } from '../../../src/agent/fingerprint.js';

const MiB = 1024 * 1024;
/** These tests are about parsing; grants are tested in location-grants.test.ts. */
const ANY = { named: new Map(), grants: [], allowAny: true };

describe('resolveLocation', () => {
  it('takes a URL from the legacy string field or the Location message', () => {
    const a = resolveLocation(undefined, 's3://bkt/pre?region=eu-west-1', 'backup', ANY);
    const b = resolveLocation({ kind: 'url', url: 's3://bkt/pre?region=eu-west-1' }, '', 'backup', ANY);
    expect(a.config).toEqual(b.config);
    expect(a.config.layout.backupPathPrefix).toBe('pre');
    expect(a.identity).toBe(b.identity);
  });

  it('reads a VolumeSnapshotLocation config with its behaviour flags', () => {
    const r = resolveLocation(
      { kind: 'vsl', vsl: { config: { provider: 'aws', bucket: 'velero-bkt', region: 'us-east-1', s3Url: 'http://127.0.0.1:7480', s3ForcePathStyle: 'true', prefix: 'cstor', backupPathPrefix: 'c1', multiPartChunkSize: '64Mi', disableIncrementalBackups: 'true', autoSetTargetIP: 'true' } } },
      '',
      'backup',
      ANY,
    );
    expect(r.config.store).toMatchObject({ provider: 'aws', bucket: 'velero-bkt', endpoint: 'http://127.0.0.1:7480', forcePathStyle: true });
    expect(r.config.layout).toEqual({ backupPathPrefix: 'c1', prefix: 'cstor' });
    expect(r.config.partSize).toBe(64 * MiB);
    expect(r.behaviour).toMatchObject({ disableIncrementalBackups: true, autoSetTargetIP: true, restoreAllIncrementalSnapshots: false });
  });

  it('refuses credentials in the config, unknown keys, both forms at once, and none', () => {
    expect(() => resolveLocation({ kind: 'vsl', vsl: { config: { provider: 'aws', bucket: 'bkt', region: 'r', secretAccessKey: 'x' } } }, '', 'b', ANY)).toThrow(/credential-like keys \(secretAccessKey\)/);
    expect(() => resolveLocation({ kind: 'vsl', vsl: { config: { provider: 'aws', bucket: 'bkt', region: 'r', bucktt: 'x' } } }, '', 'b', ANY)).toThrow(/unknown keys: bucktt/);
    expect(() => resolveLocation({ kind: 'url', url: 's3://bkt' }, 's3://bkt', 'b', ANY)).toThrow(/not both/);
    expect(() => resolveLocation(undefined, '', 'b', ANY)).toThrow(expect.objectContaining({ code: 'INVALID_LOCATION' }));
    expect(() => resolveLocation({ kind: 'vsl', vsl: { config: { provider: 'aws', region: 'r' } } }, '', 'b', ANY)).toThrow(/bucket/);
  });
});

describe('memory reservation', () => {
  const plan = { initialPartSize: 8 * MiB, growEvery: 1000, maxPartSize: 5 * 1024 * MiB, maxParts: 10_000 };
  it('reserves for the largest part the stream will use', () => {
    expect(largestPartFor(plan, undefined)).toBe(8 * MiB);
    expect(largestPartFor(plan, 100 * MiB)).toBe(8 * MiB);
    // 10 GiB x 1.25 needs more than the first 1000 parts of 8 MiB: the next size is 16 MiB.
    expect(largestPartFor(plan, 10 * 1024 * MiB)).toBe(16 * MiB);
    expect(memoryForTransfer(8 * MiB, 4)).toBe(32 * MiB + JOB_OVERHEAD_BYTES);
  });
});

describe('idempotency keys', () => {
  it('are stable for the same identity and differ otherwise', () => {
    const a = fingerprint({ dataset: 'tank/v', snap: 's1', prev: '' });
    expect(fingerprint({ prev: '', snap: 's1', dataset: 'tank/v' })).toBe(a);
    expect(fingerprint({ dataset: 'tank/v', snap: 's2', prev: '' })).not.toBe(a);
    expect(idempotencyKey('backup', '', a)).toBe(`backup:${a}`);
    expect(idempotencyKey('backup', 'op-retry-1', a)).toBe('backup:key:op-retry-1');
    expect(() => idempotencyKey('backup', 'x\n', a)).toThrow(/printable/);
  });
});
