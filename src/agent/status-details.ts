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

/** Decodes what encodeStatus wrote (for our Node client helper and tests). */
export function decodeStatusReason(buf: Buffer): { code: number; message: string; reason: string; domain: string; metadata: Record<string, string> } {
  const fields = (b: Buffer) => {
    const out: { no: number; val: Buffer | number }[] = [];
    let i = 0;
    const rv = (): number => {
      let r = 0;
      let shift = 0;
      for (;;) {
        const byte = b[i++]!;
        r += (byte & 0x7f) * 2 ** shift;
        if (byte < 0x80) return r;
        shift += 7;
      }
    };
    while (i < b.length) {
      const tag = rv();
      const no = tag >>> 3;
      if ((tag & 7) === 0) out.push({ no, val: rv() });
      else if ((tag & 7) === 2) {
        const len = rv();
        out.push({ no, val: b.subarray(i, i + len) });
        i += len;
      } else throw new Error(`unsupported wire type ${tag & 7}`);
    }
    return out;
  };
  const res = { code: 0, message: '', reason: '', domain: '', metadata: {} as Record<string, string> };
  for (const f of fields(buf)) {
    if (f.no === 1 && typeof f.val === 'number') res.code = f.val;
    if (f.no === 2 && Buffer.isBuffer(f.val)) res.message = f.val.toString('utf8');
    if (f.no === 3 && Buffer.isBuffer(f.val)) {
      const anyFields = fields(f.val);
      const value = anyFields.find((a) => a.no === 2)?.val;
      if (!Buffer.isBuffer(value)) continue;
      for (const e of fields(value)) {
        if (!Buffer.isBuffer(e.val)) continue;
        if (e.no === 1) res.reason = e.val.toString('utf8');
        if (e.no === 2) res.domain = e.val.toString('utf8');
        if (e.no === 3) {
          const kv = fields(e.val);
          const k = kv.find((x) => x.no === 1)?.val;
          const v = kv.find((x) => x.no === 2)?.val;
          if (Buffer.isBuffer(k)) res.metadata[k.toString('utf8')] = Buffer.isBuffer(v) ? v.toString('utf8') : '';
        }
      }
    }
  }
  return res;
}
