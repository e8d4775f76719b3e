import { describe, expect, it } from 'vitest';
import { ApiError } from '@google-cloud/storage';
import { SnapstreamError } from '../../../../src/errors.js';
import { checkRangeResponse } from '../../../../src/store/gcs/check-range-response.js';
import { mapGcsError } from '../../../../src/store/gcs/map-gcs-error.js';

const WHERE = 'gs://bkt/root';

/** What @google-cloud/storage throws for an HTTP status (ApiError with a numeric code). */
function apiError(code: number, message: string): ApiError {
  const e = new ApiError(message);
  e.code = code;
  return e;
}

function sysError(code: string, message = `connect ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

describe('mapGcsError: not found vs permanent vs retryable', () => {
  it.each([
    [apiError(404, 'No such object: bkt/root/k'), 'NOT_FOUND', false, /object k not found/],
    [apiError(404, 'The specified bucket does not exist.'), 'NOT_FOUND', false, /bucket does not exist; create it first/],
    [apiError(401, 'Anonymous caller does not have storage.objects.get access'), 'STORE_FAILED', false, /access denied .*ADC \/ key file/],
    [apiError(403, 'forbidden'), 'STORE_FAILED', false, /access denied/],
    [apiError(400, 'Invalid argument'), 'STORE_FAILED', false, /Invalid argument/],
    [apiError(412, 'Precondition Failed'), 'STORE_FAILED', false, /Precondition/],
    [apiError(416, 'Requested range not satisfiable'), 'STORE_FAILED', false, /range/],
    [apiError(501, 'Not Implemented'), 'STORE_FAILED', false, /Not Implemented/],
    [apiError(408, 'Request Timeout'), 'STORE_FAILED', true, /Timeout/],
    [apiError(429, 'rateLimitExceeded'), 'STORE_FAILED', true, /rateLimit/],
    [apiError(500, 'Backend Error'), 'STORE_FAILED', true, /Backend/],
    [apiError(503, 'Service Unavailable'), 'STORE_FAILED', true, /Unavailable/],
    [sysError('ECONNRESET', 'socket hang up'), 'STORE_FAILED', true, /socket hang up/],
    [sysError('ECONNREFUSED'), 'STORE_FAILED', true, /ECONNREFUSED/],
    [sysError('EPIPE'), 'STORE_FAILED', true, /EPIPE/],
    [sysError('ETIMEDOUT'), 'STORE_FAILED', true, /ETIMEDOUT/],
    [new RangeError('The offset is lower than the number of bytes written.'), 'STORE_FAILED', false, /offset is lower/],
    [Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }), 'ABORTED', false, /aborted/],
  ])('%s -> %s (retryable %s)', (err, code, retryable, msg) => {
    const e = mapGcsError(WHERE, 'k', err);
    expect(e).toBeInstanceOf(SnapstreamError);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.message).toMatch(msg);
    expect(e.message.startsWith(WHERE)).toBe(true);
    expect(e.cause).toBe(err);
  });

  it('keeps an existing SnapstreamError as it is', () => {
    const orig = new SnapstreamError('ABORTED', 'x');
    expect(mapGcsError(WHERE, 'k', orig)).toBe(orig);
  });

  it('reads the status from gaxios-style errors too', () => {
    expect(mapGcsError(WHERE, 'k', Object.assign(new Error('bad gateway'), { response: { status: 502 } })).retryable).toBe(true);
    expect(mapGcsError(WHERE, 'k', Object.assign(new Error('gone'), { status: 404 })).code).toBe('NOT_FOUND');
  });
});

describe('checkRangeResponse: only the asked bytes reach the restore', () => {
  const r = { offset: 100, length: 50 };
  it('accepts a 206 with the asked Content-Range (or a shorter one at the end of the object)', () => {
    expect(checkRangeResponse(206, { 'content-range': 'bytes 100-149/1000' }, r)).toBeUndefined();
    expect(checkRangeResponse(206, { 'content-range': 'bytes 100-119/120' }, r)).toBeUndefined();
    expect(checkRangeResponse(206, { 'content-range': ['bytes 100-149/*'] }, r)).toBeUndefined();
  });
  it('refuses a 206 for other bytes or without Content-Range', () => {
    expect(checkRangeResponse(206, { 'content-range': 'bytes 0-49/1000' }, r)).toMatch(/answered bytes=100-149 with bytes 0-49/);
    expect(checkRangeResponse(206, { 'content-range': 'bytes 100-199/1000' }, r)).toMatch(/with bytes 100-199/);
    expect(checkRangeResponse(206, {}, r)).toMatch(/without a valid Content-Range/);
  });
  it('refuses a 200 (the whole object) unless the range starts at 0 and covers it', () => {
    expect(checkRangeResponse(200, { 'content-length': '1000' }, r)).toMatch(/ignored the range bytes=100-149 and answered 200 with 1000 bytes/);
    expect(checkRangeResponse(200, { 'content-length': '40' }, { offset: 0, length: 50 })).toBeUndefined();
    expect(checkRangeResponse(200, { 'content-length': '60' }, { offset: 0, length: 50 })).toMatch(/ignored/);
    expect(checkRangeResponse(200, {}, { offset: 0, length: 50 })).toMatch(/the whole object/);
  });
});
