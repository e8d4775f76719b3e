import { describe, expect, it } from 'vitest';
import { resolveLocation } from '../../../src/agent/request-location.js';

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

  it('the identity (idempotency fingerprints) does not depend on the agent\'s AWS_REGION', () => {
    const saved = [process.env.AWS_REGION, process.env.AWS_DEFAULT_REGION];
    try {
      process.env.AWS_REGION = 'eu-west-1';
      const a = resolveLocation(undefined, 's3://bkt/pre?endpoint=http://127.0.0.1:7480', 'backup', ANY);
      process.env.AWS_REGION = 'ap-south-1';
      process.env.AWS_DEFAULT_REGION = 'us-west-2';
      const b = resolveLocation(undefined, 's3://bkt/pre?endpoint=http://127.0.0.1:7480', 'backup', ANY);
      expect(a.identity).toBe(b.identity);
      expect(a.identity).not.toMatch(/eu-west-1|ap-south-1|us-west-2/);
      // The region, when the URL gives none, is resolved when the store is opened (s3-backend.ts).
      expect(a.config.store).not.toHaveProperty('region');
    } finally {
      for (const [k, v] of [['AWS_REGION', saved[0]], ['AWS_DEFAULT_REGION', saved[1]]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
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
