import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { OwnedProcess, checkExit } from '../exec/owned-process.js';
import { NO_RECV_PINNING, type RecvSupport, parseRecvSupport } from './recv-pinning.js';
import {
  type DatasetName,
  type SnapshotShortName,
  checkAllowed,
  parseUserPropertyName,
  snapshotName,
} from './names.js';
import { datasetBusy, datasetNotFound, optionUnsupported, zfsFailedWith } from './stderr-classifiers.js';

export interface ZfsOptions {
  /** Path of the `zfs` binary (default "zfs" from PATH). A wrapper script is fine. */
  binary?: string;
  /** Pools (or dataset prefixes) this process may touch; empty = any. */
  allowedPools?: readonly string[];
  log: Logger;
  /** The environment zfs runs with, given by the edge (CLI, agent start): this module reads none. */
  env: Readonly<NodeJS.ProcessEnv>;
}

export interface SnapshotInfo {
  name: SnapshotShortName;
  guid: string;
  /** Seconds since the epoch. */
  creation: number;
}

export interface SendSizeEstimate {
  bytes: number;
  /** True when ZFS computed it (`zfs send -nP`); false for a property-based guess. */
  exact: boolean;
}

/** Output kept from a short `zfs` command; listings of thousands of snapshots fit easily. */
const MAX_STDOUT = 32 * 1024 * 1024;

/**
 * The ZFS driver. Every method takes validated names (names.ts) and checks the allowed pools before
 * spawning; commands run with argument arrays through OwnedProcess, never a shell, and their exit
 * status always counts.
 */
export class Zfs {
  readonly binary: string;
  private readonly allowed: readonly string[];
  private readonly log: Logger;
  private sendDryRunSupported: boolean | undefined;
  private recvResumable: Promise<boolean> | undefined;
  private recvSupportProbe: Promise<RecvSupport> | undefined;

  /** The environment every zfs command runs with (the edge's, LC_ALL=C). */
  readonly commandEnv: NodeJS.ProcessEnv;

  constructor(opts: ZfsOptions) {
    this.binary = opts.binary ?? 'zfs';
    this.allowed = opts.allowedPools ?? [];
    this.log = opts.log;
    // The C locale keeps zfs's messages in the English the stderr classifiers are anchored on.
    this.commandEnv = { ...opts.env, LC_ALL: 'C' };
  }

  checkAllowed(ds: DatasetName): void {
    checkAllowed(ds, this.allowed);
  }

  /** Runs a short zfs command and returns its stdout; a non-zero exit throws ZFS_FAILED. */
  async run(args: string[], signal?: AbortSignal): Promise<string> {
    const p = new OwnedProcess(this.binary, args, { signal, env: this.commandEnv });
    const chunks: Buffer[] = [];
    let size = 0;
    p.stdout.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= MAX_STDOUT) chunks.push(b);
    });
    const st = await p.exit;
    if (signal?.aborted) throw new SnapstreamError(ErrorCode.ABORTED, `zfs ${args[0]} was aborted`);
    checkExit({ ...st, stderr: firstLines(st.stderr) }, `zfs ${args.join(' ')}`);
    if (size > MAX_STDOUT) throw new SnapstreamError(ErrorCode.ZFS_FAILED, `zfs ${args[0]} printed more than ${MAX_STDOUT} bytes`);
    return Buffer.concat(chunks).toString('utf8');
  }

  /**
   * zfs-fuse reports "dataset is busy" for a moment after a dataset was created or received (its
   * FUSE mount settles asynchronously); destroy and rename retry that one error (up to ~9 s).
   */
  private async runRetryingBusy(args: string[], signal?: AbortSignal, attempts = 8): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.run(args, signal);
        return;
      } catch (e) {
        if (!isBusy(e) || attempt >= attempts) throw e;
        this.log.debug({ args, attempt }, 'dataset busy; retrying');
        await sleep(250 * attempt, undefined, { signal });
      }
    }
  }

  /** True when the dataset or snapshot exists. */
  async exists(ds: DatasetName, snap?: SnapshotShortName, signal?: AbortSignal): Promise<boolean> {
    this.checkAllowed(ds);
    const name = snap ? snapshotName(ds, snap) : ds;
    try {
      await this.run(['list', '-H', '-o', 'name', ...(snap ? ['-t', 'snapshot'] : []), name], signal);
      return true;
    } catch (e) {
      if (zfsFailedWith(e, datasetNotFound)) return false;
      throw e;
    }
  }

  async snapshot(ds: DatasetName, snap: SnapshotShortName, signal?: AbortSignal): Promise<void> {
    this.checkAllowed(ds);
    await this.run(['snapshot', snapshotName(ds, snap)], signal);
    this.log.info({ dataset: ds, snapshot: snap }, 'snapshot created');
  }

  /**
   * Destroys a snapshot; an absent snapshot is not an error (cleanup must be idempotent). With
   * `expectedGuid`, a snapshot of that name with another guid (not the one a manifest recorded) is
   * refused with SNAPSHOT_MISMATCH and kept.
   */
  async destroySnapshot(ds: DatasetName, snap: SnapshotShortName, signal?: AbortSignal, expectedGuid?: string): Promise<boolean> {
    this.checkAllowed(ds);
    if (!(await this.exists(ds, snap, signal))) return false;
    if (expectedGuid !== undefined) {
      const guid = await this.guid(ds, snap, signal);
      if (guid !== expectedGuid) {
        throw new SnapstreamError(
          ErrorCode.SNAPSHOT_MISMATCH,
          `not destroying ${snapshotName(ds, snap)}: its guid is ${guid}, not ${expectedGuid} as the backup's manifest records (it is another snapshot under that name)`,
          { details: { dataset: ds, snapshot: snap, guid, expectedGuid } },
        );
      }
    }
    await this.run(['destroy', snapshotName(ds, snap)], signal);
    this.log.info({ dataset: ds, snapshot: snap }, 'snapshot destroyed');
    return true;
  }

  /** Destroys a dataset and its snapshots (-r); absent is not an error. */
  async destroyDataset(ds: DatasetName, signal?: AbortSignal): Promise<boolean> {
    this.checkAllowed(ds);
    if (!(await this.exists(ds, undefined, signal))) return false;
    // -f unmounts even if busy.
    try {
      await this.runRetryingBusy(['destroy', '-r', '-f', ds], signal);
    } catch (e) {
      // zfs-fuse stays "busy" while any process has a file open or its cwd inside the (already
      // detached) mount, which on a loaded machine can last many seconds: unmount explicitly
      // (forced), then keep trying a while longer (up to ~30 s more, bounded).
      if (!isBusy(e)) throw e;
      await this.run(['unmount', '-f', ds], signal).catch(() => undefined);
      await this.runRetryingBusy(['destroy', '-r', '-f', ds], signal, 16);
    }
    this.log.info({ dataset: ds }, 'dataset destroyed');
    return true;
  }

  /** Renames a dataset within its pool (a forced restore swaps its staged copy in this way). */
  async rename(from: DatasetName, to: DatasetName, signal?: AbortSignal): Promise<void> {
    this.checkAllowed(from);
    this.checkAllowed(to);
    try {
      await this.run(['rename', from, to], signal);
    } catch (e) {
      if (!isBusy(e)) throw e;
      // zfs-fuse cannot rename a mounted filesystem (OpenZFS remounts by itself): unmount, rename,
      // mount. Each step may meet zfs-fuse's passing "busy" again on a loaded machine: retried, and
      // an unmount that stays busy is forced.
      await this.runRetryingBusy(['unmount', from], signal).catch(async (ue: unknown) => {
        if (!isBusy(ue)) throw ue;
        await this.run(['unmount', '-f', from], signal);
      });
      await this.runRetryingBusy(['rename', from, to], signal);
      await this.runRetryingBusy(['mount', to], signal);
    }
    this.log.info({ from, to }, 'dataset renamed');
  }

  /** Snapshots of a dataset, oldest first (ZFS lists them in creation-txg order). */
  async listSnapshots(ds: DatasetName, signal?: AbortSignal): Promise<SnapshotInfo[]> {
    this.checkAllowed(ds);
    const names = (await this.run(['list', '-H', '-o', 'name', '-t', 'snapshot', '-r', '-d', '1', ds], signal))
      .split('\n')
      .filter((l) => l.startsWith(ds + '@'));
    if (names.length === 0) return [];
    const props = await this.run(['get', '-H', '-p', '-o', 'name,property,value', 'guid,creation', ...names], signal);
    const byName = new Map<string, { guid: string; creation: number }>();
    for (const line of props.split('\n')) {
      const [name, prop, value] = line.split('\t');
      if (!name || !prop || value === undefined) continue;
      const e = byName.get(name) ?? { guid: '', creation: 0 };
      if (prop === 'guid') e.guid = value;
      if (prop === 'creation') e.creation = Number(value);
      byName.set(name, e);
    }
    return names.map((n) => ({
      name: n.slice(ds.length + 1) as SnapshotShortName,
      guid: byName.get(n)?.guid ?? '',
      creation: byName.get(n)?.creation ?? 0,
    }));
  }

  async getProperty(ds: DatasetName, prop: string, snap?: SnapshotShortName, signal?: AbortSignal): Promise<string> {
    this.checkAllowed(ds);
    if (!/^[a-z0-9_.:@-]+$/.test(prop)) throw new SnapstreamError(ErrorCode.INVALID_NAME, `invalid property ${JSON.stringify(prop)}`);
    const name = snap ? snapshotName(ds, snap) : ds;
    return (await this.run(['get', '-H', '-p', '-o', 'value', prop, name], signal)).trim();
  }

  async guid(ds: DatasetName, snap: SnapshotShortName, signal?: AbortSignal): Promise<string> {
    return this.getProperty(ds, 'guid', snap, signal);
  }

  async setUserProperty(ds: DatasetName, key: string, value: string, signal?: AbortSignal): Promise<void> {
    this.checkAllowed(ds);
    const k = parseUserPropertyName(key);
    // eslint-disable-next-line no-control-regex
    if (value.length > 1024 || /[\u0000-\u001f]/.test(value)) {
      throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `value for ${k} must be at most 1024 printable characters`);
    }
    await this.run(['set', `${k}=${value}`, ds], signal);
  }

  /**
   * How many bytes `zfs send` will produce. Uses `zfs send -nP` where the installed zfs has it; else
   * a guess from the snapshot's referenced size times its compression ratio (zfs-fuse has no -nP).
   * The guess only sizes parts and the ETA; nothing depends on it being exact.
   */
  async estimateSendSize(ds: DatasetName, snap: SnapshotShortName, prev?: SnapshotShortName, signal?: AbortSignal): Promise<SendSizeEstimate | undefined> {
    this.checkAllowed(ds);
    if (this.sendDryRunSupported !== false) {
      try {
        const out = await this.run(['send', '-nP', ...sendArgsTail(ds, snap, prev)], signal);
        const m = /^size\s+(\d+)/m.exec(out);
        if (m) {
          this.sendDryRunSupported = true;
          return { bytes: Number(m[1]), exact: true };
        }
      } catch (e) {
        if (!zfsFailedWith(e, (s) => optionUnsupported(s, 'n'))) throw e;
      }
      this.sendDryRunSupported = false;
    }
    try {
      const ref = Number(await this.getProperty(ds, 'referenced', snap, signal));
      const ratio = parseFloat(await this.getProperty(ds, 'compressratio', snap, signal)) || 1;
      if (!Number.isFinite(ref)) return undefined;
      return { bytes: Math.ceil(ref * ratio), exact: false };
    } catch (e) {
      this.log.debug({ err: e }, 'no send size estimate');
      return undefined;
    }
  }

  /** The argument list of `zfs send` for a full or incremental stream. */
  sendArgs(ds: DatasetName, snap: SnapshotShortName, prev?: SnapshotShortName): string[] {
    return ['send', ...sendArgsTail(ds, snap, prev)];
  }

  /**
   * Starts `zfs send`; the caller owns the returned process (read stdout, then await exit or stop).
   * With `stdout` (a SocketPipe's child end) the stream goes there instead of a pipe.
   */
  send(ds: DatasetName, snap: SnapshotShortName, prev: SnapshotShortName | undefined, signal?: AbortSignal, stdout?: Socket): OwnedProcess {
    this.checkAllowed(ds);
    const args = this.sendArgs(ds, snap, prev);
    this.log.debug({ args }, 'spawning zfs send');
    return new OwnedProcess(this.binary, args, { stdout: stdout ?? 'pipe', signal, env: this.commandEnv });
  }

  /**
   * Which pinning options `zfs recv` has here, probed once from its usage text (`zfs recv -n` without
   * a target prints it and touches nothing), then cached. A failed probe means no pinning.
   */
  recvSupport(signal?: AbortSignal): Promise<RecvSupport> {
    this.recvSupportProbe ??= (async () => {
      // `-n` (dry run) with no target: only the usage text, and never counted as a receive by wrappers.
      const p = new OwnedProcess(this.binary, ['recv', '-n'], { signal, env: this.commandEnv });
      const st = await p.exit;
      return parseRecvSupport(st.stderr);
    })().catch(() => NO_RECV_PINNING);
    return this.recvSupportProbe;
  }

  /**
   * Starts `zfs recv` into `target`; the caller owns the process (write stdin, end it, await exit).
   * `force` (-F) rolls the target back to its latest snapshot first, as incremental restores need
   * when the target was touched (mounting alone can change it).
   */
  recv(target: DatasetName, opts: { force: boolean; resumable?: boolean; signal?: AbortSignal; pin?: readonly string[] }): OwnedProcess {
    this.checkAllowed(target);
    // -s (only where supportsResumableRecv said so) keeps a partial receive instead of discarding it.
    const args = ['recv', ...(opts.force ? ['-F'] : []), ...(opts.resumable ? ['-s'] : []), ...(opts.pin ?? []), target];
    this.log.debug({ args }, 'spawning zfs recv');
    return new OwnedProcess(this.binary, args, { stdin: 'pipe', stdout: 'ignore', signal: opts.signal, env: this.commandEnv });
  }

  /** Mounts the filesystem if it is not mounted (a dataset renamed while unmounted stays so on zfs-fuse). */
  async ensureMounted(ds: DatasetName, signal?: AbortSignal): Promise<void> {
    if ((await this.getProperty(ds, 'mounted', undefined, signal)) === 'yes') return;
    // Not meant to be mounted: leave it so.
    if ((await this.getProperty(ds, 'canmount', undefined, signal)) !== 'on') return;
    if (['none', 'legacy'].includes(await this.getProperty(ds, 'mountpoint', undefined, signal))) return;
    await this.runRetryingBusy(['mount', ds], signal);
  }

  /** Removes a locally set (user) property, as `zfs inherit` does; absent is not an error. */
  async inheritProperty(ds: DatasetName, key: string, signal?: AbortSignal): Promise<void> {
    this.checkAllowed(ds);
    await this.run(['inherit', parseUserPropertyName(key), ds], signal);
  }

  /**
   * Filesystems under `root` (itself included) whose user properties `keys` are set locally (not
   * inherited), with their values and creation time. One `zfs get` for the whole tree.
   */
  async datasetsWithLocalProperties(root: DatasetName, keys: readonly string[], signal?: AbortSignal, depth?: number): Promise<Map<DatasetName, DatasetProperties>> {
    this.checkAllowed(root);
    const props = keys.map((k) => parseUserPropertyName(k));
    const scope = depth === undefined ? ['-r'] : ['-d', String(depth)];
    const out = await this.run(['get', '-H', '-p', ...scope, '-s', 'local', '-o', 'name,property,value', props.join(','), root], signal);
    const found = new Map<DatasetName, DatasetProperties>();
    for (const line of out.split('\n')) {
      const [name, prop, value] = line.split('\t');
      if (!name || !prop || value === undefined || name.includes('@')) continue;
      const ds = name as DatasetName;
      const e = found.get(ds) ?? { name: ds, props: {}, creation: 0 };
      e.props[prop] = value;
      found.set(ds, e);
    }
    if (found.size > 0) {
      const created = await this.run(['get', '-H', '-p', '-o', 'name,value', 'creation', ...found.keys()], signal);
      for (const line of created.split('\n')) {
        const [name, value] = line.split('\t');
        const e = name ? found.get(name as DatasetName) : undefined;
        if (e && value) e.creation = Number(value);
      }
    }
    return found;
  }

  /**
   * True when this zfs can keep a partial receive (`zfs recv -s`, OpenZFS 0.7+ with the
   * extensible_dataset feature); zfs-fuse answers "invalid option 's'". Probed once: a dry-run
   * receive of an empty stream shows whether the option parses without touching any dataset.
   */
  supportsResumableRecv(probeTarget: DatasetName, signal?: AbortSignal): Promise<boolean> {
    this.checkAllowed(probeTarget);
    this.recvResumable ??= (async () => {
      const p = new OwnedProcess(this.binary, ['recv', '-s', '-n', probeTarget], { stdin: 'pipe', stdout: 'ignore', signal, env: this.commandEnv });
      p.stdin.end();
      const st = await p.exit;
      const supported = !optionUnsupported(st.stderr, 's');
      this.log.debug({ supported }, 'zfs recv -s support probed');
      return supported;
    })();
    return this.recvResumable;
  }

  /** The `receive_resume_token` of a partial resumable receive into `ds`, or undefined. */
  async resumeToken(ds: DatasetName, signal?: AbortSignal): Promise<string | undefined> {
    const v = await this.getProperty(ds, 'receive_resume_token', undefined, signal).catch(() => '-');
    return v && v !== '-' ? v : undefined;
  }

  /** Discards the saved state of a partial resumable receive (`zfs recv -A`). */
  async abortResumableRecv(ds: DatasetName, signal?: AbortSignal): Promise<void> {
    this.checkAllowed(ds);
    await this.run(['recv', '-A', ds], signal);
  }
}

export interface DatasetProperties {
  name: DatasetName;
  /** Locally set user properties among those asked for. */
  props: Record<string, string>;
  /** Seconds since the epoch. */
  creation: number;
}


function sendArgsTail(ds: DatasetName, snap: SnapshotShortName, prev?: SnapshotShortName): string[] {
  return [...(prev ? ['-i', snapshotName(ds, prev)] : []), snapshotName(ds, snap)];
}

/** zfs prints its whole usage text on a bad option; keep errors readable. */
function firstLines(s: string, n = 3): string {
  return s.split('\n').slice(0, n).join('\n');
}

function isBusy(e: unknown): boolean {
  return zfsFailedWith(e, datasetBusy);
}
