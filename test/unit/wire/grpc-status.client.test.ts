import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { fromGrpcError } from '../../../src/wire/grpc-status.js';

describe('agent errors', () => {
  const err = (code: grpc.status, md: Record<string, string> = {}): grpc.ServiceError => {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(md)) metadata.set(k, v);
    return Object.assign(new Error('x'), { code, details: 'what happened', metadata });
  };
  it.each([
    ['the stable code the agent sent', err(grpc.status.FAILED_PRECONDITION, { 'snapstream-error-code': 'BASE_MISSING', 'snapstream-retryable': 'false' }), 'BASE_MISSING', false],
    ['retryable as the agent says', err(grpc.status.UNAVAILABLE, { 'snapstream-error-code': 'STORE_FAILED', 'snapstream-retryable': 'true' }), 'STORE_FAILED', true],
    ['agent unreachable', err(grpc.status.UNAVAILABLE), 'UNAVAILABLE', true],
    ['deadline', err(grpc.status.DEADLINE_EXCEEDED), 'UNAVAILABLE', true],
    ['bad client certificate', err(grpc.status.UNAUTHENTICATED), 'PERMISSION_DENIED', false],
    ['an unknown code string', err(grpc.status.INTERNAL, { 'snapstream-error-code': 'NEW_CODE' }), 'INTERNAL', false],
  ])('%s', (_n, e, code, retryable) => {
    const got = fromGrpcError(e, 'Backup');
    expect([got.code, got.retryable, got.message]).toEqual([code, retryable, 'agent Backup: what happened']);
  });
});
