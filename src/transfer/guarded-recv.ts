import type { Writable } from 'node:stream';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { type OwnedProcess, checkExit } from '../exec/owned-process.js';
import { type StreamExpectations, guardStream } from './stream-guard.js';

/**
 * One `zfs recv` behind the stream guard: the process is started by the first chunk the guard
 * accepts, so a refused stream (STREAM_REFUSED) never reaches, or even spawns, zfs recv. The
 * restore writes chunks, then `finish()`es; on any failure it calls `fail(e)`, which kills and
 * reaps a started receive (ZFS discards a partial stream) and rethrows the right error.
 */
export class GuardedRecv {
  private proc: OwnedProcess | undefined;
  private readonly guard;

  constructor(
    start: () => OwnedProcess,
    exp: StreamExpectations,
    private readonly what: string,
  ) {
    this.guard = guardStream((data) => writeChunk((this.proc ??= start()), data), exp, what);
  }

  write(data: Buffer): Promise<void> {
    return this.guard.write(data);
  }

  /** The end of the stream: a head too short to inspect is refused here; then zfs recv must exit 0. */
  async finish(context: string): Promise<void> {
    await this.guard.end();
    const p = this.proc;
    if (!p) throw new SnapstreamError(ErrorCode.INTERNAL, `${this.what}: the stream was accepted but nothing was received`);
    p.stdin.end();
    checkExit(await p.exit, context);
  }

  /** Kills and reaps a started receive, then throws: `e` when typed, else zfs recv's own failure. */
  async fail(e: unknown, context: string): Promise<never> {
    const p = this.proc;
    if (p) {
      const st = await p.stop();
      // A write error (EPIPE) means zfs recv gave up first: its own message says why.
      if (!(e instanceof SnapstreamError)) checkExit(st, context);
    }
    throw e;
  }
}

function writeChunk(proc: OwnedProcess, data: Buffer): Promise<void> {
  const stdin: Writable = proc.stdin;
  return new Promise((resolve, reject) => {
    stdin.write(data, (err) => (err ? reject(err) : resolve()));
  });
}
