/**
 * Typed errors with stable codes. Every failure that leaves snapstream carries one of these codes;
 * the CLI maps them to exit codes and the agent to gRPC status in exactly one place each, so callers
 * (scripts, the operator) can branch on the code instead of parsing messages.
 */
export const ErrorCode = {
  /** A flag, field or config value is malformed or missing. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** A ZFS dataset/snapshot name breaks ZFS naming rules. */
  INVALID_NAME: 'INVALID_NAME',
  /** A location URL or VolumeSnapshotLocation config cannot be used. */
  INVALID_LOCATION: 'INVALID_LOCATION',
  /** A dataset outside the pools this agent may touch. */
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  /** An incremental restore whose base snapshot is missing on the target, or a broken chain. */
  BASE_MISSING: 'BASE_MISSING',
  /** A `zfs` command failed (non-zero exit). */
  ZFS_FAILED: 'ZFS_FAILED',
  /** The object store refused or failed a request. */
  STORE_FAILED: 'STORE_FAILED',
  /** Stored bytes do not match their recorded hash. */
  INTEGRITY_MISMATCH: 'INTEGRITY_MISMATCH',
  /** Stored object is shorter or longer than the manifest says. */
  TRUNCATED: 'TRUNCATED',
  /** A manifest that cannot be parsed or fails validation. */
  MANIFEST_INVALID: 'MANIFEST_INVALID',
  /** The stream would not fit the store's part limits. */
  PART_LIMIT: 'PART_LIMIT',
  /** No progress for longer than the stall timeout. */
  STALLED: 'STALLED',
  ABORTED: 'ABORTED',
  RESOURCE_EXHAUSTED: 'RESOURCE_EXHAUSTED',
  /** The agent is shutting down or not ready; retry against it later (or another replica). */
  UNAVAILABLE: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
  /**
   * Trusted keys are configured and a backup carries no signature by any of them (written without a
   * signing key, or by a key no longer trusted). Restore it anyway only with allowUnauthenticated.
   */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** A manifest's signature does not verify: the manifest (or its signature) was altered or forged. */
  SIGNATURE_INVALID: 'SIGNATURE_INVALID',
  /**
   * An encrypted backup cannot be decrypted: no encryption key configured, a different key than the one
   * it was written with, or a part whose authentication tag fails (altered ciphertext).
   */
  DECRYPTION_FAILED: 'DECRYPTION_FAILED',
  /**
   * A stream refused before any byte reached `zfs recv`: not a ZFS send stream, a compound
   * (`-p`/`-R`) stream carrying properties without allowStreamProperties, a BEGIN payload, or guids
   * that differ from the manifest's (a stream of another snapshot).
   */
  STREAM_REFUSED: 'STREAM_REFUSED',
  /**
   * A snapshot cleanup or retention would destroy is not one snapstream made (name outside the
   * schedule's naming, or a guid other than the manifest's): it is kept and reported.
   */
  SNAPSHOT_MISMATCH: 'SNAPSHOT_MISMATCH',
  /**
   * h15-dedup: a deduplicated backup could not commit safely: it ran longer than the garbage
   * collector's grace period, or a GC sweep that ran meanwhile removed a segment it references.
   * Nothing was committed; retrying the backup uploads what is missing.
   */
  DEDUP_CONFLICT: 'DEDUP_CONFLICT',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** Structured facts (part number, offsets, hashes) for logs and API callers. */
  details?: Record<string, unknown>;
}

export class SnapstreamError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, opts: ErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SnapstreamError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.details = opts.details ?? {};
  }
}

export function isSnapstreamError(e: unknown, code?: ErrorCode): e is SnapstreamError {
  return e instanceof SnapstreamError && (code === undefined || e.code === code);
}

/** Wraps anything thrown into a SnapstreamError, keeping an existing code. */
export function toSnapstreamError(e: unknown, fallback: ErrorCode = ErrorCode.INTERNAL): SnapstreamError {
  if (e instanceof SnapstreamError) return e;
  if (isAbortError(e)) return new SnapstreamError(ErrorCode.ABORTED, 'operation was aborted', { cause: e });
  const msg = e instanceof Error ? e.message : String(e);
  return new SnapstreamError(fallback, msg, { cause: e });
}

export function isAbortError(e: unknown): boolean {
  return (
    e instanceof Error &&
    (e.name === 'AbortError' || (e as { code?: string }).code === 'ABORT_ERR' || isSnapstreamError(e, 'ABORTED'))
  );
}

/** Throws the signal's reason as an ABORTED SnapstreamError if the signal fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

export function abortedError(signal: AbortSignal): SnapstreamError {
  const reason = signal.reason;
  if (reason instanceof SnapstreamError) return reason;
  const why = reason instanceof Error ? reason.message : reason === undefined ? 'aborted' : String(reason);
  return new SnapstreamError(ErrorCode.ABORTED, `operation was aborted: ${why}`, { cause: reason });
}

/** CLI exit codes: distinct for usage errors and integrity failures so scripts can tell them apart. */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  INTEGRITY: 3,
  ABORTED: 130,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.INVALID_ARGUMENT:
    case ErrorCode.INVALID_NAME:
    case ErrorCode.INVALID_LOCATION:
      return ExitCode.USAGE;
    case ErrorCode.INTEGRITY_MISMATCH:
    case ErrorCode.TRUNCATED:
    case ErrorCode.MANIFEST_INVALID:
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.SIGNATURE_INVALID:
    case ErrorCode.DECRYPTION_FAILED:
    case ErrorCode.STREAM_REFUSED:
      return ExitCode.INTEGRITY;
    case ErrorCode.ABORTED:
      return ExitCode.ABORTED;
    default:
      return ExitCode.FAILURE;
  }
}
