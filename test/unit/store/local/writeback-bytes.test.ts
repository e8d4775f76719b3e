import { describe, expect, it } from 'vitest';
import { readStoreEnv } from '../../../../src/store/store-env.js';
import { DEFAULT_WRITEBACK_BYTES, writebackBytes } from '../../../../src/store/local/writeback-bytes.js';

describe('local store writeback threshold', () => {
  it('reads SNAPSTREAM_LOCAL_WRITEBACK_BYTES (default 64 MiB, 0 = off, junk = default)', () => {
    expect(DEFAULT_WRITEBACK_BYTES).toBe(64 * 1024 * 1024);
    expect(writebackBytes({})).toBe(64 * 1024 * 1024);
    expect(writebackBytes({ SNAPSTREAM_LOCAL_WRITEBACK_BYTES: '0' })).toBe(0);
    expect(writebackBytes({ SNAPSTREAM_LOCAL_WRITEBACK_BYTES: '1048576' })).toBe(1048576);
    expect(writebackBytes({ SNAPSTREAM_LOCAL_WRITEBACK_BYTES: 'lots' })).toBe(64 * 1024 * 1024);
  });

  it('is read once at the edge, with the other store settings (readStoreEnv)', () => {
    expect(readStoreEnv({ SNAPSTREAM_LOCAL_WRITEBACK_BYTES: '4096' }).localWritebackBytes).toBe(4096);
    expect(readStoreEnv({}).localWritebackBytes).toBe(DEFAULT_WRITEBACK_BYTES);
  });
});
