import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export function zfs(...args: string[]): string {
  return execFileSync('zfs', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function mountpoint(ds: string): string {
  return zfs('get', '-H', '-o', 'value', 'mountpoint', ds);
}

/** Writes `mib` MiB of random bytes into a file of the dataset and returns its sha256. */
export function writeRandomFile(ds: string, file: string, mib: number): string {
  const data = randomBytes(mib * 1024 * 1024);
  writeFileSync(path.join(mountpoint(ds), file), data);
  return createHash('sha256').update(data).digest('hex');
}

export function fileHash(ds: string, file: string): string {
  return createHash('sha256').update(readFileSync(path.join(mountpoint(ds), file))).digest('hex');
}

export async function listKeys(s3: S3Client, bucket: string, prefix = ''): Promise<string[]> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

export async function listUploads(s3: S3Client, bucket: string): Promise<{ key: string; id: string }[]> {
  const out = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (out.Uploads ?? []).map((u) => ({ key: u.Key!, id: u.UploadId! }));
}

/**
 * A `zfs` wrapper for the agent's --zfs-binary. It execs the real zfs (so the agent's normal calls
 * cost a `sh` exec, nothing more), except for two switches a test flips with files in `dir`:
 *  - slow-recv: `zfs recv` is fed at ~2 MiB/s (through a small Node pipe), so a test can cancel a
 *    restore while bytes are still moving;
 *  - stall-send: `zfs send` of a stream (not the -nP estimate) becomes `sleep`, a send that never
 *    produces a byte, to exercise the stall timeout.
 */
export function slowZfsWrapper(): { binary: string; setSlowRecv(on: boolean): void; setStallSend(on: boolean): void; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'snapstream-zfsw-'));
  const slowFlag = path.join(dir, 'slow-recv');
  const stallFlag = path.join(dir, 'stall-send');
  const realZfs = execFileSync('sh', ['-c', 'command -v zfs'], { encoding: 'utf8' }).trim();
  const throttle = path.join(dir, 'slow-recv.cjs');
  writeFileSync(
    throttle,
    `const { spawn } = require('node:child_process');
const child = spawn(${JSON.stringify(realZfs)}, process.argv.slice(2), { stdio: ['pipe', 'inherit', 'inherit'] });
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => child.kill(s));
child.on('exit', (code) => process.exit(code ?? 1));
child.stdin.on('error', () => {});
process.stdin.on('data', (b) => {
  process.stdin.pause();
  child.stdin.write(b, () => setTimeout(() => process.stdin.resume(), Math.ceil((b.length / 2097152) * 1000)));
});
process.stdin.on('end', () => child.stdin.end());
`,
  );
  const binary = path.join(dir, 'zfs');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  writeFileSync(
    binary,
    `#!/bin/sh
if [ "$1" = recv ] && [ -e ${q(slowFlag)} ]; then exec ${q(process.execPath)} ${q(throttle)} "$@"; fi
if [ "$1" = send ] && [ "$2" != -nP ] && [ -e ${q(stallFlag)} ]; then exec sleep 600; fi
exec ${q(realZfs)} "$@"
`,
  );
  chmodSync(binary, 0o755);
  const flag = (file: string) => (on: boolean) => (on ? writeFileSync(file, '') : rmSync(file, { force: true }));
  return { binary, dir, setSlowRecv: flag(slowFlag), setStallSend: flag(stallFlag) };
}

/** Command lines of running processes that mention `needle` (e.g. "@snap" of a zfs send). */
export function processesMentioning(needle: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(needle) && !l.startsWith('ps '));
}
