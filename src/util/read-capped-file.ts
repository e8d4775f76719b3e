import { constants, promises as fsp } from 'node:fs';
import { ErrorCode, SnapstreamError } from '../errors.js';

/**
 * Reads a key, certificate or credentials file, but only if it is a regular file of at most
 * `maxBytes` bytes. The agent is root: a path that names /dev/zero, a FIFO or /proc/kcore must fail
 * fast and cheaply, never block the event loop or fill memory.
 *
 * - Links are followed: a Kubernetes Secret volume presents every key as one
 *   (`tls.key -> ..data/tls.key`), and these paths come from the agent's own configuration, never
 *   from a request. What the link leads to is what is checked, on the open descriptor.
 * - O_NONBLOCK: opening a FIFO without a writer returns at once instead of hanging.
 * - fstat on the open descriptor, so what is checked is what is read (no check-then-open race).
 * - at most maxBytes + 1 bytes are ever read, even if the file grows while we read it.
 *
 * Errors are INVALID_ARGUMENT (`what` names the setting) and never contain the file's bytes.
 */
export async function readCappedRegularFile(path: string, maxBytes: number, what: string): Promise<Buffer> {
  const fail = (why: string, fix: string): never => {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${what} ${path} ${why}; ${fix}`, { details: { file: path } });
  };
  if (typeof path !== 'string' || path === '' || path.includes('\0')) fail('is not a usable path', 'give the absolute path of the file');
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ELOOP') return fail('is a loop of symbolic links', 'point the setting at a regular file');
    if (code === 'ENOENT') return fail('does not exist (ENOENT)', 'mount the file there (e.g. from a Secret) or fix the path');
    if (code === 'EACCES' || code === 'EPERM') return fail(`cannot be opened (${code})`, 'make it readable by the agent');
    return fail(`cannot be opened (${code})`, 'give a readable regular file');
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a directory' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'not a regular file';
      return fail(`is ${kind}, not a regular file`, 'give the path of a regular file');
    }
    if (st.size > maxBytes) return fail(`is ${st.size} bytes, above the ${maxBytes}-byte limit for this kind of file`, 'give the right file (keys and certificates are a few KiB)');
    // Read in a bounded loop: st.size is a hint, the file may change under us (procfs reports 0).
    let buf = Buffer.alloc(Math.min(maxBytes + 1, Math.max(st.size + 1, 4096)));
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        if (len > maxBytes) return fail(`is larger than the ${maxBytes}-byte limit for this kind of file`, 'give the right file');
        const bigger = Buffer.alloc(Math.min(maxBytes + 1, buf.length * 2));
        buf.copy(bigger, 0, 0, len);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, len, buf.length - len, len);
      if (bytesRead === 0) break;
      len += bytesRead;
    }
    if (len > maxBytes) return fail(`is larger than the ${maxBytes}-byte limit for this kind of file`, 'give the right file');
    return buf.subarray(0, len);
  } finally {
    await fh.close();
  }
}

/** Size caps by kind of file; a real one is far below each. */
export const MAX_PEM_BYTES = 1024 * 1024;
export const MAX_CREDENTIALS_BYTES = 1024 * 1024;
