import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A `zfs` wrapper (the agent's --zfs-binary, the CLI's --zfs-binary) that kills the process calling
 * it with SIGKILL at one exact step, to put a real crash at every phase of a restore:
 *  - before(regex): when the joined argument list matches, kill the caller before running zfs;
 *  - after(regex): run the real zfs and, if it succeeded, kill the caller (the step happened, nothing
 *    after it; a failed attempt, e.g. zfs-fuse's busy rename before its unmount, does not count);
 *  - duringRecv(n, bytes): on the n-th `zfs recv` (counted from arming, dry runs not counted), kill
 *    the caller once that many bytes of the stream went through (the caller writes the stream).
 * One switch at a time; `disarm()` turns it off. Everything else is the real zfs. Test-only; the
 * project itself never uses a shell.
 */
export interface CrashZfs {
  binary: string;
  dir: string;
  before(pattern: string): void;
  after(pattern: string): void;
  duringRecv(n: number, bytes: number): void;
  disarm(): void;
  cleanup(): void;
}

export function crashZfs(): CrashZfs {
  const dir = mkdtempSync(path.join(tmpdir(), 'snapstream-crashzfs-'));
  const realZfs = execFileSync('sh', ['-c', 'command -v zfs'], { encoding: 'utf8' }).trim();
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const f = (name: string) => q(path.join(dir, name));
  const binary = path.join(dir, 'zfs');
  writeFileSync(
    binary,
    `#!/bin/sh
args="$*"
if [ -e ${f('before')} ] && printf '%s\\n' "$args" | grep -Eq -f ${f('before')}; then kill -9 $PPID; exit 137; fi
if [ -e ${f('after')} ] && printf '%s\\n' "$args" | grep -Eq -f ${f('after')}; then
  ${q(realZfs)} "$@"; rc=$?; if [ $rc = 0 ]; then kill -9 $PPID; fi; exit $rc
fi
# Dry runs (the agent's one-time \`recv -s -n\` probe) are not receives.
if [ "$1" = recv ] && [ -e ${f('recv')} ] && ! printf ' %s \n' "$args" | grep -q ' -n '; then
  n=$(cat ${f('recv-count')} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${f('recv-count')}
  if [ "$n" = "$(sed -n 1p ${f('recv')})" ]; then
    # Pass on the first K bytes of the stream the caller writes, then kill the caller: a crash at an
    # exact point of the transfer, whatever the speed. zfs recv then sees EOF mid-stream.
    k="$(sed -n 2p ${f('recv')})"
    { head -c "$k"; kill -9 $PPID; } | ${q(realZfs)} "$@"
    exit $?
  fi
fi
exec ${q(realZfs)} "$@"
`,
  );
  chmodSync(binary, 0o755);
  const disarm = () => {
    for (const n of ['before', 'after', 'recv', 'recv-count']) rmSync(path.join(dir, n), { force: true });
  };
  return {
    binary,
    dir,
    before: (p) => {
      disarm();
      writeFileSync(path.join(dir, 'before'), `${p}\n`);
    },
    after: (p) => {
      disarm();
      writeFileSync(path.join(dir, 'after'), `${p}\n`);
    },
    duringRecv: (n, s) => {
      disarm();
      writeFileSync(path.join(dir, 'recv'), `${n}\n${s}\n`);
    },
    disarm,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
