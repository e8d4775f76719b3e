import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCappedRegularFile } from '../../../src/util/read-capped-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sstest-capped-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'PRIVATE-KEY-MATERIAL-abc123';

async function refusal(p: string, max = 1024): Promise<Error & { code: string }> {
  return readCappedRegularFile(p, max, 'tls.keyFile').then(
    () => expect.unreachable(`${p} was read`),
    (e: unknown) => e as Error & { code: string },
  );
}

describe('readCappedRegularFile', () => {
  it('reads a regular file under the cap, exactly', async () => {
    const p = path.join(dir, 'ok.pem');
    writeFileSync(p, SECRET);
    expect((await readCappedRegularFile(p, 1024, 'tls.keyFile')).toString()).toBe(SECRET);
    // Exactly at the cap is fine; one byte more is not.
    expect((await readCappedRegularFile(p, SECRET.length, 'x')).length).toBe(SECRET.length);
    expect((await refusal(p, SECRET.length - 1)).message).toMatch(/above the \d+-byte limit/);
  });

  it('follows a Kubernetes Secret volume link (key -> ..data/key) to the regular file behind it', async () => {
    mkdirSync(path.join(dir, '..2026_12_01'), { recursive: true });
    writeFileSync(path.join(dir, '..2026_12_01', 'sec.pem'), SECRET);
    symlinkSync('..2026_12_01', path.join(dir, '..data'));
    symlinkSync('..data/sec.pem', path.join(dir, 'sec.pem'));
    expect((await readCappedRegularFile(path.join(dir, 'sec.pem'), 1024, 'x')).toString()).toBe(SECRET);
  });

  it('refuses devices, FIFOs, directories and links to them without reading or blocking, naming the setting and file', async () => {
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const link = path.join(dir, 'link.pem');
    symlinkSync('/dev/zero', link);
    const cases: [string, RegExp][] = [
      ['/dev/zero', /is a device, not a regular file/],
      [fifo, /is a FIFO, not a regular file/],
      [dir, /is a directory/],
      [link, /is a device, not a regular file/],
      [path.join(dir, 'absent'), /does not exist \(ENOENT\)/],
    ];
    for (const [p, re] of cases) {
      const e = await refusal(p);
      expect(e.code, p).toBe('INVALID_ARGUMENT');
      expect(e.message).toMatch(re);
      expect(e.message).toContain(`tls.keyFile ${p}`);
      expect(e.message).not.toContain(SECRET);
    }
  });

  it('a file whose size stat cannot tell (procfs) is still capped while reading', async () => {
    // /proc/self/environ reports size 0 but has content; with a tiny cap it must be refused.
    const e = await refusal('/proc/self/environ', 4);
    expect(e.message).toMatch(/larger than the 4-byte limit/);
  });
});
