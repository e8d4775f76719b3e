import { ErrorCode, SnapstreamError } from '../../errors.js';

/** Node socket errors worth another attempt: the request may not have reached GCS, or its answer was lost. */
const TRANSIENT_NET = /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|ENETUNREACH|EHOSTUNREACH|UND_ERR_SOCKET|ERR_STREAM_PREMATURE_CLOSE)$/;

/** google-auth-library failures: no credentials found, or a key it cannot use. Permanent. */
const AUTH_FAILURE = /Could not load the default credentials|DECODER routines|PEM|invalid_grant|unauthorized_client|invalid_client/i;

/**
 * The HTTP status of anything @google-cloud/storage throws: ApiError carries it as a numeric `code`,
 * gaxios errors as `status` / `response.status`. Socket errors have a string `code` instead.
 */
export function gcsHttpStatus(e: unknown): number | undefined {
  const o = e as { code?: unknown; status?: unknown; response?: { status?: unknown; statusCode?: unknown } } | undefined;
  for (const v of [o?.code, o?.status, o?.response?.status, o?.response?.statusCode]) {
    if (typeof v === 'number' && v >= 100 && v < 600) return v;
    if (typeof v === 'string' && /^[1-5]\d\d$/.test(v)) return Number(v);
  }
  return undefined;
}

/**
 * The one place GCS failures become SnapstreamErrors. 404 -> NOT_FOUND; 408/429/5xx but 501, and
 * socket resets -> STORE_FAILED retryable; everything else (400, 401/403, 412, 416, 501) is permanent,
 * because repeating the same request cannot change the answer.
 * `where` is describe() of the store (never holds credentials); `key` is the caller's relative key.
 */
export function mapGcsError(where: string, key: string, e: unknown): SnapstreamError {
  if (e instanceof SnapstreamError) return e;
  const err = e as { name?: string; code?: unknown; message?: string } | undefined;
  const name = err?.name ?? '';
  const msg = err?.message || name || String(e);
  if (name === 'AbortError' || err?.code === 'ABORT_ERR') {
    return new SnapstreamError(ErrorCode.ABORTED, `${where}: ${key}: aborted`, { cause: e });
  }
  const status = gcsHttpStatus(e);
  if (status === undefined && AUTH_FAILURE.test(msg)) {
    return new SnapstreamError(
      ErrorCode.STORE_FAILED,
      `${where}: ${key}: no usable Google credentials (${msg}); set GOOGLE_APPLICATION_CREDENTIALS, use workload identity, or give credentialsFile`,
      { cause: e },
    );
  }
  if (status === 404) {
    const bucketGone = /bucket/i.test(msg) && !/object|no such object/i.test(msg);
    return new SnapstreamError(
      ErrorCode.NOT_FOUND,
      bucketGone ? `${where}: bucket does not exist; create it first` : `${where}: object ${key} not found`,
      { cause: e, details: { httpStatus: status } },
    );
  }
  if (status === 401 || status === 403) {
    return new SnapstreamError(
      ErrorCode.STORE_FAILED,
      `${where}: access denied for ${key} (${status}); check the credentials (ADC / key file) and the bucket IAM`,
      { cause: e, details: { httpStatus: status } },
    );
  }
  const sysCode = typeof err?.code === 'string' ? err.code : '';
  const net = TRANSIENT_NET.test(sysCode) || /socket hang up|ECONNRESET|ETIMEDOUT/i.test(msg);
  // 501 Not Implemented is an answer about the request, not a passing state of the server.
  const retryable = net || status === 408 || status === 429 || (status !== undefined && status >= 500 && status !== 501);
  return new SnapstreamError(ErrorCode.STORE_FAILED, `${where}: ${key}: ${msg}`, {
    cause: e,
    retryable,
    details: { httpStatus: status, code: sysCode || undefined },
  });
}
