/**
 * Minimal protobuf encoding of google.rpc.Status carrying one google.rpc.ErrorInfo, for the
 * standard "grpc-status-details-bin" trailer. Go clients read it with status.FromError(err).Details()
 * and get an *errdetails.ErrorInfo whose Reason is our stable error code. Hand-encoded because the
 * two messages are tiny and stable, and it keeps protobufjs out of our direct dependencies.
 */
export const ERROR_DOMAIN = 'snapstream.io';
const ERROR_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ErrorInfo';

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

function lenField(fieldNo: number, body: Buffer): Buffer {
  return Buffer.concat([varint((fieldNo << 3) | 2), varint(body.length), body]);
}

function strField(fieldNo: number, s: string): Buffer {
  return lenField(fieldNo, Buffer.from(s, 'utf8'));
}

export function encodeErrorInfo(reason: string, metadata: Record<string, string>): Buffer {
  const parts = [strField(1, reason), strField(2, ERROR_DOMAIN)];
  for (const [k, v] of Object.entries(metadata)) parts.push(lenField(3, Buffer.concat([strField(1, k), strField(2, v)])));
  return Buffer.concat(parts);
}

export function encodeStatus(code: number, message: string, reason: string, metadata: Record<string, string>): Buffer {
  const any = Buffer.concat([strField(1, ERROR_INFO_TYPE_URL), lenField(2, encodeErrorInfo(reason, metadata))]);
  return Buffer.concat([code > 0 ? Buffer.concat([varint(1 << 3), varint(code)]) : Buffer.alloc(0), strField(2, message), lenField(3, any)]);
}
