import { describe, expect, it } from 'vitest';
import { MANIFEST_FORMAT, parseManifest, serializeManifest } from '../../../src/model/manifest.js';
import { sampleManifest } from './fixtures.js';

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

describe('manifest node field', () => {
  const base = {
    format: MANIFEST_FORMAT, version: 1, backup: 'b', schedule: '', volume: 'v', dataset: 'p/v', snapshot: 'b', snapshotGuid: '1',
    previousSnapshot: '', previousSnapshotGuid: '', previousBackup: '', dataKey: 'k', size: 0, hash: 'xxh64', streamHash: '0000000000000000',
    parts: [], startedAt: '', finishedAt: '', agent: { name: 'snapstream', version: '0' }, sendArgs: [],
  };
  it('is optional (old manifests parse), kept when present, validated when hostile', () => {
    expect(parseManifest(Buffer.from(JSON.stringify(base)), 'm').node).toBeUndefined();
    expect(parseManifest(Buffer.from(JSON.stringify({ ...base, node: 'node-a.example' })), 'm').node).toBe('node-a.example');
    expect(() => parseManifest(Buffer.from(JSON.stringify({ ...base, node: 'x'.repeat(300) })), 'm')).toThrow(/"node" is longer/);
    expect(() => parseManifest(Buffer.from(JSON.stringify({ ...base, node: 'a\nb' })), 'm')).toThrow(/"node" may only/);
    expect(() => parseManifest(Buffer.from(JSON.stringify({ ...base, node: 7 })), 'm')).toThrow(/"node" must be a string/);
  });
});
