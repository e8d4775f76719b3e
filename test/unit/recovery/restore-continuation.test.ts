import { describe, expect, it } from 'vitest';
import { continueFrom } from '../../../src/recovery/restore-continuation.js';
import type { Manifest } from '../../../src/model/manifest.js';
import type { SnapshotShortName } from '../../../src/zfs/names.js';

describe('continueFrom: only a guid match counts', () => {
  const m = (snapshot: string, guid: string) => ({ snapshot, snapshotGuid: guid }) as Manifest;
  const chain = [m('s1', '11'), m('s2', '22'), m('s3', '33')];
  const snap = (name: string, guid: string) => ({ name: name as SnapshotShortName, guid, creation: 0 });

  it('continues after the latest snapshot when it is a link of the chain', () => {
    expect(continueFrom(chain, [snap('s1', '11')])).toBe(1);
    expect(continueFrom(chain, [snap('s1', '11'), snap('s2', '22')])).toBe(2);
    expect(continueFrom(chain, [snap('s1', '11'), snap('s2', '22'), snap('s3', '33')])).toBe(3);
  });

  it('a same-named snapshot of another stream, a manifest without guid, or no snapshot: start over', () => {
    expect(continueFrom(chain, [snap('s1', '99')])).toBeUndefined();
    expect(continueFrom([m('s1', '')], [snap('s1', '')])).toBeUndefined();
    expect(continueFrom(chain, [])).toBeUndefined();
    // A later snapshot that is not a link (someone snapshotted the half-restored target).
    expect(continueFrom(chain, [snap('s1', '11'), snap('mine', '44')])).toBeUndefined();
  });
});
