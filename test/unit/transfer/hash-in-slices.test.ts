import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadHasher } from '../../../src/model/hasher.js';
import { HASH_SLICE_BYTES, updateInSlices } from '../../../src/transfer/hash-in-slices.js';

describe('updateInSlices', () => {
  it('gives the one-shot digest at every size around the slice boundary', async () => {
    const h = await loadHasher();
    for (const n of [0, 1, HASH_SLICE_BYTES - 1, HASH_SLICE_BYTES, HASH_SLICE_BYTES + 1, 3 * HASH_SLICE_BYTES + 17]) {
      const data = randomBytes(n);
      const s = h.create();
      await updateInSlices(s, data);
      expect(s.digestHex()).toBe(h.hashHex(data));
    }
  });

  it('lets the event loop run between slices (what keeps zfs recv fed while a part is hashed)', async () => {
    const h = await loadHasher();
    const data = randomBytes(4 * HASH_SLICE_BYTES);
    let turns = 0;
    const tick = () => {
      turns++;
      if (turns < 100) setImmediate(tick);
    };
    setImmediate(tick);
    await updateInSlices(h.create(), data);
    // One slice, then a turn of the loop before each of the other three.
    expect(turns).toBeGreaterThanOrEqual(3);
  });
});
