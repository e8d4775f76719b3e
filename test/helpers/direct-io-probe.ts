import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { allocAligned } from '../../src/util/aligned-buffer.js';

/**
 * True when `dir`'s filesystem really does direct I/O: it refuses an O_DIRECT write from a malloc
 * (unaligned) buffer. tmpfs and some overlays accept it and cache everything anyway; there a test of
 * "past the page cache" or "refused when unaligned" could not fail, so such tests skip (saying why)
 * instead of passing.
 */
export function enforcesDirectIo(dir: string): boolean {
  const d = mkdtempSync(path.join(dir, 'sstest-probe-'));
  try {
    const fd = openSync(path.join(d, 'p'), constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT, 0o600);
    try {
      writeSync(fd, misaligned(4096), 0, 4096, 0);
      return false;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EINVAL';
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

/**
 * `n` random-free bytes whose memory is certainly NOT 4 KiB-aligned (one byte into a page-aligned
 * allocation). A malloc buffer is usually unaligned but now and then lands on a page boundary by
 * chance, which made a test that needs the kernel to refuse O_DIRECT fail once in CI.
 */
export function misaligned(n: number): Buffer {
  return allocAligned(n + 1).subarray(1, n + 1);
}
