import { randomBytes } from 'node:crypto';

/**
 * Builds little-endian ZFS send streams record by record, laid out as zfs_ioctl.h says (the offsets
 * zstream/record-header.ts decodes). Each header gets random bytes in its last 32 (OpenZFS's running
 * checksum field), so a rebuild that is not bit-exact shows.
 */
export interface Block {
  object: number;
  offset: number;
  data: Buffer;
}

function header(type: number, fill: (h: Buffer) => void, toguid: bigint): Buffer {
  const h = Buffer.alloc(312);
  h.writeUInt32LE(type, 0);
  fill(h);
  if (type !== 0) randomBytes(32).copy(h, 280);
  const at = { 1: 40, 3: 40, 4: 32, 5: 40 }[type as 1 | 3 | 4 | 5];
  if (at !== undefined) h.writeBigUInt64LE(toguid, at);
  return h;
}

export function buildStream(blocks: Block[], opts: { toguid?: bigint; objects?: number[]; featureFlags?: number; extraRecordType?: number } = {}): Buffer {
  const toguid = opts.toguid ?? 1234n;
  const out: Buffer[] = [];
  out.push(
    header(0, (h) => {
      h.writeBigUInt64LE(0x2f5bacbacn, 8);
      h.writeBigUInt64LE(BigInt(1) | (BigInt(opts.featureFlags ?? 0) << 2n), 16);
      h.writeBigUInt64LE(toguid, 40);
      h.write('pool/ds@snap', 56, 'latin1');
    }, toguid),
  );
  for (const o of opts.objects ?? [...new Set(blocks.map((b) => b.object))]) {
    out.push(header(1, (h) => { h.writeBigUInt64LE(BigInt(o), 8); h.writeUInt32LE(260, 28); }, toguid), Buffer.alloc(264, o & 0xff));
  }
  for (const b of blocks) {
    out.push(header(3, (h) => { h.writeBigUInt64LE(BigInt(b.object), 8); h.writeBigUInt64LE(BigInt(b.offset), 24); h.writeBigUInt64LE(BigInt(b.data.length), 32); }, toguid), b.data);
  }
  if (opts.extraRecordType !== undefined) out.push(header(opts.extraRecordType, () => {}, toguid));
  out.push(header(4, (h) => { h.writeBigUInt64LE(99n, 8); }, toguid));
  out.push(header(5, () => {}, toguid));
  return Buffer.concat(out);
}

/** `count` blocks of `size` random bytes for each object. */
export function blocksOf(objects: number[], count: number, size = 128 * 1024): Block[] {
  return objects.flatMap((object) => Array.from({ length: count }, (_, i) => ({ object, offset: i * size, data: randomBytes(size) })));
}
