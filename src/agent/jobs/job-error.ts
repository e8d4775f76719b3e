import { ErrorCode, type SnapstreamError } from '../../errors.js';
import { redactText } from '../../redact.js';
import type { JobError, JobPhase } from './job-types.js';

/** Codes that mean "this request cannot succeed as given": the job ends Invalid, not Failed. */
const INVALID_CODES: ReadonlySet<string> = new Set([
  ErrorCode.INVALID_ARGUMENT,
  ErrorCode.INVALID_NAME,
  ErrorCode.INVALID_LOCATION,
  ErrorCode.PERMISSION_DENIED,
  ErrorCode.NOT_FOUND,
  ErrorCode.BASE_MISSING,
  ErrorCode.STREAM_REFUSED,
]);

/** The phase a job that ended with `e` ends in: the operator retries Failed, not Invalid. */
export function failedPhaseOf(e: SnapstreamError): JobPhase {
  return INVALID_CODES.has(e.code) ? 'Invalid' : 'Failed';
}

export function toJobError(e: SnapstreamError): JobError {
  const details: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.details)) details[k] = redactText(typeof v === 'string' ? v : JSON.stringify(v));
  // Job errors are read back by any client and logged: the one redactor masks what an SDK quoted.
  return { code: e.code, message: redactText(e.message), retryable: e.retryable, details };
}
