import * as grpc from '@grpc/grpc-js';
import { ErrorCode, SnapstreamError, toSnapstreamError } from '../errors.js';
import { redactText } from '../redact.js';
import { encodeStatus } from './status-details.js';

/**
 * The one mapping from snapstream error codes to gRPC status codes. The stable code string itself
 * travels in trailing metadata and in a google.rpc.ErrorInfo, so clients never parse messages.
 */
export function grpcCodeFor(code: string): grpc.status {
  switch (code) {
    case ErrorCode.INVALID_ARGUMENT:
    case ErrorCode.INVALID_NAME:
    case ErrorCode.INVALID_LOCATION:
      return grpc.status.INVALID_ARGUMENT;
    case ErrorCode.PERMISSION_DENIED:
      return grpc.status.PERMISSION_DENIED;
    case ErrorCode.NOT_FOUND:
      return grpc.status.NOT_FOUND;
    case ErrorCode.ALREADY_EXISTS:
      return grpc.status.ALREADY_EXISTS;
    case ErrorCode.BASE_MISSING:
    case ErrorCode.PART_LIMIT:
    case ErrorCode.STREAM_REFUSED:
    case ErrorCode.SNAPSHOT_MISMATCH:
      return grpc.status.FAILED_PRECONDITION;
    case ErrorCode.INTEGRITY_MISMATCH:
    case ErrorCode.TRUNCATED:
    case ErrorCode.MANIFEST_INVALID:
    case ErrorCode.SIGNATURE_INVALID:
      return grpc.status.DATA_LOSS;
    // The caller (or the agent's config) lacks the key or the opt-in this backup needs.
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.DECRYPTION_FAILED:
      return grpc.status.FAILED_PRECONDITION;
    case ErrorCode.STALLED:
      return grpc.status.DEADLINE_EXCEEDED;
    case ErrorCode.ABORTED:
      return grpc.status.CANCELLED;
    case ErrorCode.RESOURCE_EXHAUSTED:
      return grpc.status.RESOURCE_EXHAUSTED;
    case ErrorCode.UNAVAILABLE:
    case ErrorCode.STORE_FAILED:
      return grpc.status.UNAVAILABLE;
    // h15-dedup: lost a race with garbage collection; retrying the backup succeeds.
    case ErrorCode.DEDUP_CONFLICT:
      return grpc.status.ABORTED;
    default:
      return grpc.status.INTERNAL;
  }
}

export const ERROR_CODE_HEADER = 'snapstream-error-code';
export const RETRYABLE_HEADER = 'snapstream-retryable';

export function toGrpcError(e: unknown): Partial<grpc.StatusObject> & { code: grpc.status; details: string } {
  const err = toSnapstreamError(e);
  const code = grpcCodeFor(err.code);
  const md = new grpc.Metadata();
  md.set(ERROR_CODE_HEADER, err.code);
  md.set(RETRYABLE_HEADER, String(err.retryable));
  const facts: Record<string, string> = {};
  for (const [k, v] of Object.entries(err.details)) facts[k] = redactText(typeof v === 'string' ? v : JSON.stringify(v));
  // Every error that leaves the agent goes through the one redactor: a message that quotes a
  // location, an endpoint or an SDK's text never carries a credential to the client (or the log).
  const message = redactText(err.message);
  md.set('grpc-status-details-bin', encodeStatus(code, message, err.code, facts));
  return { code, details: message, metadata: md };
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCode));

/** A gRPC failure as a SnapstreamError: the agent's stable code when it sent one, else from the status. */
export function fromGrpcError(e: grpc.ServiceError, what: string): SnapstreamError {
  const sent = String(e.metadata?.get(ERROR_CODE_HEADER)[0] ?? '');
  const retryHeader = String(e.metadata?.get(RETRYABLE_HEADER)[0] ?? '');
  let code: ErrorCode;
  if (KNOWN_CODES.has(sent)) code = sent as ErrorCode;
  else if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED) code = ErrorCode.UNAVAILABLE;
  else if (e.code === grpc.status.CANCELLED) code = ErrorCode.ABORTED;
  else if (e.code === grpc.status.UNAUTHENTICATED || e.code === grpc.status.PERMISSION_DENIED) code = ErrorCode.PERMISSION_DENIED;
  else code = ErrorCode.INTERNAL;
  const retryable = retryHeader !== '' ? retryHeader === 'true' : code === ErrorCode.UNAVAILABLE;
  return new SnapstreamError(code, `agent ${what}: ${e.details || e.message}`, { cause: e, retryable, details: { grpcCode: e.code } });
}
