import { type Socket, createSocket } from 'node:dgram';

/**
 * A tiny authoritative DNS server on 127.0.0.1 for tests: answers A queries for `name` with the given
 * IPv4 addresses (like a headless Service) and AAAA with no records; anything else NXDOMAIN. Just
 * enough of RFC 1035 for node:dns's resolver: one question, no compression in queries.
 */
export async function startFakeDns(name: string, ipv4: string[]): Promise<{ server: string; close(): Promise<void>; queries: string[] }> {
  const sock: Socket = createSocket('udp4');
  const want = name.toLowerCase().replace(/\.$/, '');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 12) return;
    let off = 12;
    const labels: string[] = [];
    for (let guard = 0; guard < 64 && off < msg.length; guard++) {
      const len = msg[off]!;
      off++;
      if (len === 0) break;
      labels.push(msg.subarray(off, off + len).toString('ascii'));
      off += len;
    }
    if (off + 4 > msg.length) return;
    const qtype = msg.readUInt16BE(off);
    const question = msg.subarray(12, off + 4);
    const qname = labels.join('.').toLowerCase();
    queries.push(`${qname}/${qtype}`);
    const known = qname === want;
    const answers = known && qtype === 1 ? ipv4 : [];
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (known ? 0 : 3), 2); // response, authoritative, NOERROR / NXDOMAIN
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((ip) => {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      rr.writeUInt16BE(1, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(5, 6);
      rr.writeUInt16BE(4, 10);
      ip.split('.').forEach((o, i) => rr.writeUInt8(Number(o), 12 + i));
      return rr;
    });
    sock.send(Buffer.concat([header, question, ...rrs]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${sock.address().port}`,
    queries,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
