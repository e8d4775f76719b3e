import { ErrorCode, SnapstreamError } from '../errors.js';
import { type BeginInfo, type StreamExpectations, checkStreamHead } from '../zstream/index.js';
import type { Manifest } from '../model/manifest.js';

export type { StreamExpectations } from '../zstream/index.js';

/** Where guarded bytes go: resolves when `data` was handed on (the caller may reuse it afterwards). */
export type ChunkSink = (data: Buffer) => Promise<void>;

export interface GuardedSink {
  write: ChunkSink;
  /** Call at the end of the stream: a stream too short to be inspected is refused here. */
  end(): Promise<void>;
  /** The BEGIN record the decision was made on, once decided. */
  readonly begin: BeginInfo | undefined;
}

/** What a verified restore expects of a backup's stream. */
export function expectationsFor(m: Manifest, allowProperties: boolean): StreamExpectations {
  return { toguid: m.snapshotGuid, fromguid: m.previousSnapshotGuid, incremental: m.previousSnapshot !== '', allowProperties };
}

/**
 * Wraps the sink that feeds `zfs recv` so that nothing reaches it before the stream's head was
 * inspected (checkStreamHead): the head is held back (copied, the caller reuses its buffers) until
 * the verdict, then released in one write, and later chunks pass straight through. A refused
 * stream throws STREAM_REFUSED and `sink` is never called, so the receiving process, started
 * lazily by the sink, is never even spawned.
 */
export function guardStream(sink: ChunkSink, exp: StreamExpectations, what: string): GuardedSink {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let decided = false;
  let begin: BeginInfo | undefined;

  const refuse = (reason: string, b?: BeginInfo): never => {
    throw new SnapstreamError(
      ErrorCode.STREAM_REFUSED,
      `refusing to receive ${what}: ${reason}; nothing was received` +
        (reason.includes('compound') ? '. Restore it anyway with --allow-stream-properties (allowStreamProperties) only if you trust its properties' : ''),
      { details: { toguid: b?.toguid ?? '', fromguid: b?.fromguid ?? '', kind: b?.kind ?? '', expectedToguid: exp.toguid, expectedFromguid: exp.fromguid } },
    );
  };

  const decide = async (final: boolean): Promise<void> => {
    const head = held.length === 1 ? held[0]! : Buffer.concat(held, heldBytes);
    held = [head];
    const v = checkStreamHead(head, exp);
    if (v.verdict === 'more') {
      if (final) refuse(`the stream ends after ${heldBytes} bytes, before its header could be inspected (${v.needBytes} bytes)`);
      return;
    }
    if (v.verdict === 'refuse') refuse(v.reason, v.begin);
    if (v.verdict === 'accept') {
      decided = true;
      begin = v.begin;
      held = [];
      heldBytes = 0;
      await sink(head);
    }
  };

  return {
    get begin() {
      return begin;
    },
    async write(data: Buffer): Promise<void> {
      if (decided) return sink(data);
      held.push(Buffer.from(data)); // a copy: the caller reuses `data` once this resolves
      heldBytes += data.length;
      await decide(false);
    },
    async end(): Promise<void> {
      if (!decided) await decide(true);
    },
  };
}
