import { describe, expect, it } from 'vitest';
import { checkAllowed, parseDatasetName, parseSnapshotName, parseSnapshotShortName } from '../../../src/zfs/names.js';

describe('ZFS names', () => {
  it.each(['tank', 'tank/vol', 'tank/a-b_c.d:e/f', 'cstor-pool-1/pvc-0b1c'])('accepts dataset %s', (n) => {
    expect(parseDatasetName(n)).toBe(n);
  });

  it.each([
    ['', 'is empty'],
    ['-R', 'starts with "-"'],
    ['tank/-R', 'starts with "-"'],
    ['tank//a', 'empty component'],
    ['tank/a/', 'empty component'],
    ['tank/../etc', '"." or ".."'],
    ['tank/a b', 'may only contain'],
    ['tank/a;rm -rf', 'may only contain'],
    ['tank/a%recv', 'may only contain'],
    ['tank/a@s', 'contains "@"'],
    ['1tank', 'start with a letter'],
    ['mirror1/a', 'reserved word'],
    ['t/' + 'x'.repeat(300), 'longer than 255'],
  ])('refuses dataset %j (%s)', (n, why) => {
    expect(() => parseDatasetName(n)).toThrow(why);
    try {
      parseDatasetName(n);
    } catch (e) {
      expect((e as { code: string }).code).toBe('INVALID_NAME');
    }
  });

  it('parses pool/ds@snap', () => {
    expect(parseSnapshotName('tank/v@s1')).toEqual({ dataset: 'tank/v', snapshot: 's1', full: 'tank/v@s1' });
    expect(() => parseSnapshotName('tank/v')).toThrow('has no "@"');
    expect(() => parseSnapshotName('tank/v@a@b')).toThrow('must not contain');
    expect(() => parseSnapshotShortName('-i')).toThrow('starts with "-"');
  });

  it('restricts to allowed pools', () => {
    const ds = parseDatasetName('tank/v');
    expect(() => checkAllowed(ds, [])).not.toThrow();
    expect(() => checkAllowed(ds, ['tank'])).not.toThrow();
    expect(() => checkAllowed(parseDatasetName('tankx/v'), ['tank'])).toThrow(/outside the pools/);
    try {
      checkAllowed(parseDatasetName('other/v'), ['tank', 'pool2']);
    } catch (e) {
      expect((e as { code: string }).code).toBe('PERMISSION_DENIED');
    }
  });
});
