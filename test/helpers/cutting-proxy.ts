import net from 'node:net';

/**
 * A TCP proxy in front of a server that breaks one connection, as a flaky network or a restarting
 * load balancer would: the connection carrying the upstream byte number `cutAtByte` (counted over
 * all connections, in arrival order) is reset there, once. Lets tests check that a store's retries
 * recover, or that it fails with a clear, correctly classified error. Later connections pass.
 */
export async function startCuttingProxy(target: { host: string; port: number }, plan: { cutAtByte: number }) {
  let total = 0;
  let cuts = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => {
      if (cuts === 0 && total + d.length >= plan.cutAtByte) {
        cuts++;
        // Forward what precedes the cut, so the server sees a request that stops mid-body.
        upstream.write(d.subarray(0, Math.max(0, plan.cutAtByte - total)), () => {
          client.resetAndDestroy();
          upstream.destroy();
        });
        total += d.length;
        return;
      }
      total += d.length;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get cuts() {
      return cuts;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
