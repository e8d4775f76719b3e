import { describe, expect, it } from 'vitest';
import { type Manifest, parseManifest, serializeManifest } from '../../../src/model/manifest.js';

export function sampleManifest(over: Partial<Manifest> = {}): Manifest {
  return {
    format: 'snapstream.backup', version: 1, backup: 'b1', schedule: '', volume: 'v', dataset: 'tank/v', snapshot: 's1',
    snapshotGuid: '123', previousSnapshot: '', previousSnapshotGuid: '', previousBackup: '', dataKey: 'backups/b1/v-b1',
    size: 30, hash: 'xxh64', streamHash: '0123456789abcdef',
    parts: [
      { n: 1, offset: 0, size: 20, xxh64: 'aaaaaaaaaaaaaaaa' },
      { n: 2, offset: 20, size: 10, xxh64: 'bbbbbbbbbbbbbbbb' },
    ],
    startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z',
    agent: { name: 'snapstream', version: '0.1.0' }, sendArgs: ['send', 'tank/v@s1'], ...over,
  };
}

const parse = (o: unknown) => parseManifest(Buffer.from(typeof o === 'string' ? o : JSON.stringify(o)), 'test');

describe('manifest parsing', () => {
  it('round-trips', () => {
    const m = sampleManifest();
    expect(parseManifest(serializeManifest(m), 'x')).toEqual(m);
  });

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{', /not JSON/],
    ['an array', '[]', /not a JSON object/],
    ['wrong format', { ...sampleManifest(), format: 'other' }, /"format"/],
    ['future version', { ...sampleManifest(), version: 3 }, /upgrade snapstream/],
    ['v2 claiming xxh64', { ...sampleManifest(), version: 2 }, /expected "sha256" in a version 2/],
    ['gap between parts', { ...sampleManifest(), parts: [{ n: 1, offset: 0, size: 20, xxh64: 'aaaaaaaaaaaaaaaa' }, { n: 2, offset: 21, size: 9, xxh64: 'bbbbbbbbbbbbbbbb' }] }, /contiguous/],
    ['sizes not adding up', { ...sampleManifest(), size: 31 }, /add up to 30/],
    ['bad part hash', { ...sampleManifest(), parts: [{ n: 1, offset: 0, size: 30, xxh64: 'XYZ' }] }, /xxh64 must be/],
    ['negative size', { ...sampleManifest(), size: -1 }, /"size" must be an integer/],
    ['huge size', { ...sampleManifest(), size: 1e300 }, /"size" must be an integer/],
    ['too many parts', { ...sampleManifest(), parts: new Array(10_001).fill(0) }, /more than 10000/],
    ['misnumbered parts', { ...sampleManifest(), parts: [{ n: 2, offset: 0, size: 30, xxh64: 'aaaaaaaaaaaaaaaa' }] }, /expected 1/],
    ['non-string field', { ...sampleManifest(), backup: 42 }, /"backup" must be a string/],
    ['bad guid', { ...sampleManifest(), snapshotGuid: '12; rm' }, /decimal string/],
  ])('refuses %s with MANIFEST_INVALID', (_name, input, msg) => {
    expect(() => parse(input)).toThrow(msg);
    try {
      parse(input);
    } catch (e) {
      expect((e as { code: string }).code).toBe('MANIFEST_INVALID');
    }
  });

  it('refuses an oversized manifest before parsing it', () => {
    expect(() => parseManifest(Buffer.alloc(5 * 1024 * 1024, 32), 'big')).toThrow(/bytes, more than/);
  });
});
