import { createHash } from 'node:crypto';
import { ErrorCode, SnapstreamError } from '../errors.js';

/** A stable hash of a request's identity (the fields that decide what the job does). */
export function fingerprint(identity: Record<string, unknown>): string {
  const canon = JSON.stringify(identity, Object.keys(identity).sort());
  return createHash('sha256').update(canon).digest('hex').slice(0, 32);
}

/** The idempotency key: the caller's, or the identity hash when it gives none. */
export function idempotencyKey(kind: string, explicit: string | undefined, fp: string): string {
  if (explicit) {
    if (explicit.length > 256 || /[\u0000-\u001f]/.test(explicit)) {
      throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, 'idempotencyKey must be at most 256 printable characters');
    }
    return `${kind}:key:${explicit}`;
  }
  return `${kind}:${fp}`;
}
