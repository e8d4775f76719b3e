import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ErrorCode, SnapstreamError } from '../../../src/errors.js';
import { grpcCodeFor, toGrpcError } from '../../../src/wire/grpc-status.js';
import { encodeErrorInfo } from '../../../src/wire/status-details.js';
import { decodeStatusReason } from '../../helpers/decode-status.js';

describe('error -> gRPC status', () => {
  it('maps every error code to a specific status', () => {
    const expected: Record<string, grpc.status> = {
      INVALID_ARGUMENT: grpc.status.INVALID_ARGUMENT,
      INVALID_NAME: grpc.status.INVALID_ARGUMENT,
      INVALID_LOCATION: grpc.status.INVALID_ARGUMENT,
      PERMISSION_DENIED: grpc.status.PERMISSION_DENIED,
      NOT_FOUND: grpc.status.NOT_FOUND,
      ALREADY_EXISTS: grpc.status.ALREADY_EXISTS,
      BASE_MISSING: grpc.status.FAILED_PRECONDITION,
      ZFS_FAILED: grpc.status.INTERNAL,
      STORE_FAILED: grpc.status.UNAVAILABLE,
      INTEGRITY_MISMATCH: grpc.status.DATA_LOSS,
      TRUNCATED: grpc.status.DATA_LOSS,
      MANIFEST_INVALID: grpc.status.DATA_LOSS,
      PART_LIMIT: grpc.status.FAILED_PRECONDITION,
      STALLED: grpc.status.DEADLINE_EXCEEDED,
      ABORTED: grpc.status.CANCELLED,
      RESOURCE_EXHAUSTED: grpc.status.RESOURCE_EXHAUSTED,
      UNAVAILABLE: grpc.status.UNAVAILABLE,
      INTERNAL: grpc.status.INTERNAL,
      UNAUTHENTICATED: grpc.status.FAILED_PRECONDITION,
      SIGNATURE_INVALID: grpc.status.DATA_LOSS,
      DECRYPTION_FAILED: grpc.status.FAILED_PRECONDITION,
      STREAM_REFUSED: grpc.status.FAILED_PRECONDITION,
      SNAPSHOT_MISMATCH: grpc.status.FAILED_PRECONDITION,
      DEDUP_CONFLICT: grpc.status.ABORTED,
    };
    expect(Object.keys(expected).sort()).toEqual(Object.values(ErrorCode).sort());
    for (const [code, status] of Object.entries(expected)) expect(grpcCodeFor(code), code).toBe(status);
  });

  it('carries the stable code in trailers and in a decodable google.rpc.Status', () => {
    const e = toGrpcError(new SnapstreamError(ErrorCode.BASE_MISSING, 'base gone; restore the chain', { retryable: false, details: { base: 's1', n: 3 } }));
    expect(e.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(e.details).toBe('base gone; restore the chain');
    expect(e.metadata!.get('snapstream-error-code')).toEqual(['BASE_MISSING']);
    expect(e.metadata!.get('snapstream-retryable')).toEqual(['false']);
    const bin = e.metadata!.get('grpc-status-details-bin')[0] as Buffer;
    expect(decodeStatusReason(bin)).toEqual({
      code: grpc.status.FAILED_PRECONDITION,
      message: 'base gone; restore the chain',
      reason: 'BASE_MISSING',
      domain: 'snapstream.io',
      metadata: { base: 's1', n: '3' },
    });
  });

  it('wraps foreign errors as INTERNAL and aborts as CANCELLED', () => {
    expect(toGrpcError(new Error('boom')).code).toBe(grpc.status.INTERNAL);
    expect(toGrpcError(Object.assign(new Error('x'), { name: 'AbortError' })).code).toBe(grpc.status.CANCELLED);
  });

  it('encodes ErrorInfo as protobuf (field 1 reason, 2 domain)', () => {
    const b = encodeErrorInfo('STALLED', {});
    expect(b.subarray(0, 2)).toEqual(Buffer.from([0x0a, 7]));
    expect(b.subarray(2, 9).toString()).toBe('STALLED');
    expect(b[9]).toBe(0x12);
  });
});
