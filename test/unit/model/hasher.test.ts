import { describe, expect, it } from 'vitest';
import xxhash from 'xxhash-wasm';
import { loadHasher } from '../../../src/model/hasher.js';

describe('loadHasher', () => {
  it('is XXH64 seed 0, as `xxhsum -H1` prints it', async () => {
    const h = await loadHasher();
    expect(h.hashHex(new Uint8Array(0))).toBe('ef46db3751d8e999');
    expect(h.hashHex(new TextEncoder().encode('abc'))).toBe('44bc2cf5ad770999');
  });

  it('streams to the same digest as one shot, and agrees with the WebAssembly implementation', async () => {
    const h = await loadHasher();
    const wasm = await xxhash();
    const data = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    const s = h.create();
    for (let p = 0; p < data.length; p += 65_536 - 3) s.update(data.subarray(p, p + 65_536 - 3));
    const expected = wasm.h64Raw(data, 0n).toString(16).padStart(16, '0');
    expect(s.digestHex()).toBe(expected);
    expect(h.hashHex(data)).toBe(expected);
  });
});
