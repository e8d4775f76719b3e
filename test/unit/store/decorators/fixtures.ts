import pino from 'pino';
import { ErrorCode, SnapstreamError } from '../../../../src/errors.js';
import { DEFAULT_RETRY_POLICIES } from '../../../../src/store/decorators/retry-policy.js';

export const log = pino({ level: 'silent' });
export const flaky = () => new SnapstreamError(ErrorCode.STORE_FAILED, 'flaky', { retryable: true });
export const denied = () => new SnapstreamError(ErrorCode.STORE_FAILED, 'access denied');
/** The production attempts per kind, backing off 1 ms. */
export const fast = Object.fromEntries(Object.entries(DEFAULT_RETRY_POLICIES).map(([k, p]) => [k, { ...p, baseDelayMs: 1 }]));
