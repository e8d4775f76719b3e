import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIRECT_IO_ALIGN, allocAligned, isDirectAligned } from '../../../src/util/aligned-buffer.js';
import { enforcesDirectIo, misaligned } from '../../helpers/direct-io-probe.js';

// /var/tmp: a disk filesystem that enforces O_DIRECT alignment (tmpfs does not; there the refusal below is skipped).
const BASE = '/var/tmp';
const ENFORCED = enforcesDirectIo(BASE);

describe('allocAligned', () => {
  it('gives buffers of the asked size that an O_DIRECT write accepts (an unaligned one is refused where O_DIRECT is enforced)', async () => {
    const dir = await fs.mkdtemp(path.join(BASE, 'sstest-aligned-'));
    try {
      const fh = await fs.open(path.join(dir, 'f'), constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT, 0o600);
      try {
        for (const size of [4096, 65536, 8 * 1024 * 1024, 5 * 1024 * 1024 + 4096]) {
          const b = allocAligned(size);
          expect(b.length).toBe(size);
          expect((await fh.write(b, 0, size, 0)).bytesWritten).toBe(size);
        }
        if (ENFORCED) await expect(fh.write(misaligned(8192), 0, 8192, 0)).rejects.toMatchObject({ code: 'EINVAL' });
        else console.warn(`aligned-buffer.test: ${BASE} does not enforce O_DIRECT alignment; the refusal check is skipped`);
      } finally {
        await fh.close();
      }
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('isDirectAligned: multiples of 4 KiB only', () => {
    expect(DIRECT_IO_ALIGN).toBe(4096);
    expect([0, 4096, 8 * 1024 * 1024].every(isDirectAligned)).toBe(true);
    expect([1, 4095, 4097, 10_000].some(isDirectAligned)).toBe(false);
  });
});
