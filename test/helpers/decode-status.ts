/**
 * Decodes the google.rpc.Status that src/wire/status-details.ts encodes into grpc-status-details-bin.
 * Test-only: the Node clients read the stable code from the snapstream-error-code trailer, Go clients
 * decode this with their own protobuf library; the tests check that what we encode is what Go reads.
 */
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
