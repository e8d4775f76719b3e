import { type BeginInfo, inspectBegin } from './begin-record.js';
import { DRR_HEADER_BYTES, RecordType, decodeRecordHeader } from './record-header.js';

/** What the restore expects of a stream, from its manifest and request. */
export interface StreamExpectations {
  /** The manifest's snapshotGuid; "" = unknown (not checked). */
  toguid: string;
  /** The manifest's previousSnapshotGuid; "" = unknown. */
  fromguid: string;
  /** From the manifest: full (false) or incremental (true); undefined = unknown (legacy object). */
  incremental?: boolean;
  /** Accept a compound (`-p`/`-R`) stream, whose properties zfs recv would apply. */
  allowProperties: boolean;
}

/** A compound stream's property nvlist is inspected in memory; anything larger is refused. */
export const MAX_COMPOUND_PAYLOAD_BYTES = 4 * 1024 * 1024;

export type HeadVerdict =
  | { verdict: 'more'; needBytes: number }
  | { verdict: 'accept'; begin: BeginInfo; compound: boolean }
  | { verdict: 'refuse'; reason: string; begin?: BeginInfo };

/**
 * Decides from the first bytes of a stream whether it may reach `zfs recv`. Pure: call it with a
 * growing prefix until it stops asking for more. A plain `zfs send` stream (one substream, no
 * payload) is what snapstream's own backups are; a compound stream carries properties (mountpoint,
 * setuid, devices, ...) that zfs recv would apply, so it passes only when explicitly allowed, and
 * then its first substream's BEGIN is what the guids are checked on.
 */
export function checkStreamHead(head: Uint8Array, exp: StreamExpectations): HeadVerdict {
  if (head.length < DRR_HEADER_BYTES) return { verdict: 'more', needBytes: DRR_HEADER_BYTES };
  const first = inspectBegin(head);
  if (!first.ok) return { verdict: 'refuse', reason: first.reason };
  const b = first.begin;
  if (b.kind === 'unknown') return { verdict: 'refuse', reason: `its BEGIN record has an unknown header type ${b.headerType}`, begin: b };
  if (b.kind === 'substream') {
    if (b.payloadBytes !== 0) {
      return { verdict: 'refuse', reason: `its BEGIN record carries a ${b.payloadBytes}-byte payload (an nvlist: a resumable or property-carrying stream)`, begin: b };
    }
    const g = checkGuids(b, exp);
    return g ? { verdict: 'refuse', reason: g, begin: b } : { verdict: 'accept', begin: b, compound: false };
  }
  if (!exp.allowProperties) {
    return {
      verdict: 'refuse',
      reason: 'it is a compound stream (zfs send -p or -R) that carries dataset properties such as mountpoint, setuid and devices, which zfs recv would apply',
      begin: b,
    };
  }
  if (b.payloadBytes > MAX_COMPOUND_PAYLOAD_BYTES) {
    return { verdict: 'refuse', reason: `its compound header's payload is ${b.payloadBytes} bytes, more than the ${MAX_COMPOUND_PAYLOAD_BYTES} inspected`, begin: b };
  }
  // Compound layout: BEGIN(compound) + nvlist, END, then BEGIN..END per substream, then END.
  const endAt = DRR_HEADER_BYTES + b.payloadBytes;
  const subAt = endAt + DRR_HEADER_BYTES;
  const need = subAt + DRR_HEADER_BYTES;
  if (head.length < need) return { verdict: 'more', needBytes: need };
  const end = decodeRecordHeader(head.subarray(endAt, subAt), b.byteOrder);
  if (end.type !== RecordType.END) return { verdict: 'refuse', reason: `its compound header is followed by a record of type ${end.type}, not END`, begin: b };
  const sub = inspectBegin(head.subarray(subAt, need));
  if (!sub.ok) return { verdict: 'refuse', reason: `its first substream is invalid: ${sub.reason}`, begin: b };
  if (sub.begin.kind !== 'substream' || sub.begin.payloadBytes !== 0) {
    return { verdict: 'refuse', reason: 'its first substream is not a plain substream', begin: b };
  }
  const g = checkGuids(sub.begin, exp);
  return g ? { verdict: 'refuse', reason: g, begin: sub.begin } : { verdict: 'accept', begin: sub.begin, compound: true };
}

function checkGuids(b: BeginInfo, exp: StreamExpectations): string | undefined {
  if (exp.toguid !== '' && b.toguid !== exp.toguid) {
    return `it is a stream of snapshot guid ${b.toguid}, but the manifest records snapshot guid ${exp.toguid} (a stream of another snapshot)`;
  }
  if (exp.incremental === false && b.fromguid !== '0') {
    return `it is an incremental stream (from guid ${b.fromguid}), but the manifest records a full backup`;
  }
  if (exp.incremental === true && b.fromguid === '0') {
    return 'it is a full stream, but the manifest records an incremental backup';
  }
  if (exp.incremental === true && exp.fromguid !== '' && b.fromguid !== exp.fromguid) {
    return `it is incremental from snapshot guid ${b.fromguid}, but the manifest records base guid ${exp.fromguid}`;
  }
  return undefined;
}
