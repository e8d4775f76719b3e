import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { ErrorCode, SnapstreamError } from '../errors.js';

/** How an owned process ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Last bytes of stderr (bounded), trimmed. */
  stderr: string;
}

export interface SpawnOptions {
  stdin?: 'pipe' | 'ignore';
  /** A Socket (e.g. SocketPipe.childEnd) becomes the child's stdout as is; the caller reads the other end. */
  stdout?: 'pipe' | 'ignore' | Socket;
  signal?: AbortSignal;
  /** Bytes of stderr kept (the tail). */
  stderrLimit?: number;
  env?: NodeJS.ProcessEnv;
}

const running = new Set<OwnedProcess>();

/**
 * Processes alive right now in this Node process, whoever started them (agent, CLI, controller). Tests
 * assert it is empty after a cancel or a failure: every spawn goes through OwnedProcess, so nothing
 * outside this list can be left running.
 */
export function runningProcesses(): ReadonlyArray<{ command: string; pid: number | undefined }> {
  return [...running].map((p) => ({ command: p.command, pid: p.pid }));
}

/**
 * The one owner of a child process (zrepl's rule): it spawns with an argument array (never a shell),
 * keeps a bounded tail of stderr, and its `stop()` kills and reaps. Whoever creates an OwnedProcess
 * must either await `exit` or call `stop()`; both are safe to call more than once. An abort of
 * `signal` stops it, so an AbortSignal reaches the process it ends.
 */
export class OwnedProcess {
  readonly command: string;
  readonly exit: Promise<ExitStatus>;
  private readonly child: ChildProcess;
  private stderrTail = Buffer.alloc(0);
  private exited = false;
  private readonly onAbort: () => void;
  private readonly signal: AbortSignal | undefined;

  constructor(binary: string, args: readonly string[], opts: SpawnOptions = {}) {
    this.command = [binary, ...args].join(' ');
    const limit = opts.stderrLimit ?? 16 * 1024;
    this.child = spawn(binary, args, {
      stdio: [opts.stdin ?? 'ignore', opts.stdout ?? 'pipe', 'pipe'],
      shell: false,
      // Callers pass the environment the edge decided on (Zfs: the process env with LC_ALL=C, so
      // stderr is in the English the stderr classifiers read); without one the child inherits ours.
      env: opts.env ?? process.env,
    });
    running.add(this);
    this.child.stderr!.on('data', (b: Buffer) => {
      const joined = Buffer.concat([this.stderrTail, b]);
      this.stderrTail = joined.length > limit ? joined.subarray(joined.length - limit) : joined;
    });
    // stdin EPIPE when the child exits early is reported through the exit status, not as a crash.
    this.child.stdin?.on('error', () => {});
    this.exit = new Promise<ExitStatus>((resolve) => {
      let spawnError: Error | undefined;
      this.child.once('error', (e) => {
        spawnError = e;
        // 'close' does not follow a failed spawn, so resolve here.
        if (this.child.pid === undefined) finish(127, null);
      });
      const finish = (code: number | null, sig: NodeJS.Signals | null) => {
        if (this.exited) return;
        this.exited = true;
        running.delete(this);
        this.signal?.removeEventListener('abort', this.onAbort);
        const msg = spawnError && this.child.pid === undefined ? `cannot run ${binary}: ${spawnError.message}` : '';
        resolve({ code, signal: sig, stderr: (msg || this.stderrTail.toString('utf8')).trim() });
      };
      this.child.once('close', (code, sig) => finish(code, sig));
    });
    this.signal = opts.signal;
    this.onAbort = () => void this.stop();
    if (opts.signal?.aborted) void this.stop();
    else opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
  get stdout(): Readable {
    if (!this.child.stdout) throw new Error('stdout was not piped');
    return this.child.stdout;
  }
  get stdin(): Writable {
    if (!this.child.stdin) throw new Error('stdin was not piped');
    return this.child.stdin;
  }

  /** Kills the process (TERM, then KILL after `graceMs`) and waits until it is reaped. */
  async stop(graceMs = 2000): Promise<ExitStatus> {
    if (!this.exited) {
      this.child.stdout?.destroy();
      this.child.stdin?.destroy();
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      try {
        return await this.exit;
      } finally {
        clearTimeout(t);
      }
    }
    return this.exit;
  }
}

/** Turns a non-zero exit into a typed error carrying the command and stderr tail. */
export function checkExit(status: ExitStatus, what: string, code: SnapstreamError['code'] = ErrorCode.ZFS_FAILED): void {
  if (status.code === 0) return;
  const how = status.signal ? `was killed by ${status.signal}` : `exited with status ${status.code}`;
  throw new SnapstreamError(code, `${what} ${how}${status.stderr ? `: ${status.stderr}` : ''}`, {
    details: { exitCode: status.code, signal: status.signal, stderr: status.stderr },
  });
}
