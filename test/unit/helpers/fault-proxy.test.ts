import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../../helpers/fault-proxy.js';

/** The fault proxy against a loopback echo server: every fault does what its doc says. */
let echo: net.Server;
let echoPort: number;
let proxy: FaultProxy;

beforeAll(async () => {
  echo = net.createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as net.AddressInfo).port;
  proxy = await startFaultProxy({ host: '127.0.0.1', port: echoPort });
});

afterAll(async () => {
  await proxy.close();
  await new Promise<void>((r) => echo.close(() => r()));
});

interface Outcome {
  got: Buffer;
  error?: string;
  ms: number;
}

/** Sends `data` through the proxy and collects the echo until `want` bytes or the connection ends. */
function roundTrip(data: Buffer, want = data.length, timeoutMs = 5000): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let error: string | undefined;
    const s = net.connect(proxy.port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      s.destroy();
      resolve({ got: Buffer.concat(chunks), error, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => {
      error ??= 'timeout';
      done();
    }, timeoutMs);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      size += d.length;
      if (size >= want) done();
    });
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.on('close', done);
    s.write(data);
  });
}

describe('fault proxy', () => {
  it('forwards bytes unchanged and counts them both ways', async () => {
    proxy.clear();
    proxy.resetStats();
    const data = randomBytes(300_000);
    const r = await roundTrip(data);
    expect(r.error).toBeUndefined();
    expect(r.got.equals(data)).toBe(true);
    expect(proxy.stats.up).toBe(data.length);
    await proxy.waitFor((p) => p.stats.down === data.length, 2000, 'down count');
    expect(proxy.stats.connections).toBe(1);
  });

  it('delays each chunk', async () => {
    proxy.set({ delayMs: 300 });
    const r = await roundTrip(Buffer.from('ping'));
    expect(r.got.toString()).toBe('ping');
    // Once up, once down.
    expect(r.ms).toBeGreaterThanOrEqual(550);
  });

  it('throttles to the given rate', async () => {
    proxy.set({ throttleBytesPerSec: 200_000 });
    const data = randomBytes(200_000);
    const r = await roundTrip(data);
    expect(r.got.equals(data)).toBe(true);
    // 200 kB at 200 kB/s each way (pipelined): at least ~1 s.
    expect(r.ms).toBeGreaterThanOrEqual(900);
  });

  it('stalls until cleared, losing nothing', async () => {
    proxy.set({ stall: true });
    proxy.resetStats();
    const p = roundTrip(Buffer.from('held'), 4, 5000);
    await new Promise((r) => setTimeout(r, 400));
    expect(proxy.stats.up).toBe(0);
    proxy.clear();
    const r = await p;
    expect(r.got.toString()).toBe('held');
    expect(r.ms).toBeGreaterThanOrEqual(400);
  });

  it('stallMs stalls for that long, then forwards', async () => {
    proxy.set({ stallMs: 500 });
    const r = await roundTrip(Buffer.from('later'));
    expect(r.got.toString()).toBe('later');
    expect(r.ms).toBeGreaterThanOrEqual(450);
  });

  it('cuts a connection after N bytes upstream, forwarding exactly the bytes before the cut', async () => {
    proxy.set({ cutAfterBytes: { up: 1000 } });
    proxy.resetStats();
    const data = randomBytes(5000);
    const r = await roundTrip(data, data.length, 3000);
    expect(r.got.length).toBeLessThanOrEqual(1000);
    expect(r.got.equals(data.subarray(0, r.got.length))).toBe(true);
    expect(proxy.stats.up).toBe(1000);
    expect(proxy.stats.cuts).toBe(1);
    // Once only: the next connection passes.
    const ok = await roundTrip(data);
    expect(ok.got.equals(data)).toBe(true);
  });

  it('cuts after N bytes downstream', async () => {
    proxy.set({ cutAfterBytes: { down: 700 } });
    const r = await roundTrip(randomBytes(3000), 3000, 3000);
    expect(r.got.length).toBe(700);
  });

  it('resets (RST) after N bytes, and persistently when asked', async () => {
    proxy.set({ resetAfterBytes: { up: 10 }, persistent: true });
    proxy.resetStats();
    for (let i = 0; i < 2; i++) {
      const r = await roundTrip(randomBytes(5000), 5000, 3000);
      expect(r.got.length).toBeLessThan(5000);
      expect(r.error).toBe('ECONNRESET');
    }
    expect(proxy.stats.resets).toBe(2);
    proxy.clear();
    expect((await roundTrip(Buffer.from('fine'))).got.toString()).toBe('fine');
  });

  it('refuses new connections while `refuse` is set', async () => {
    proxy.set({ refuse: true });
    proxy.resetStats();
    const r = await roundTrip(Buffer.from('x'), 1, 3000);
    expect(r.got.length).toBe(0);
    expect(r.error).toBe('ECONNRESET');
    expect(proxy.stats.refused).toBe(1);
    proxy.clear();
    expect((await roundTrip(Buffer.from('back'))).got.toString()).toBe('back');
  });

  it('holds a connection whose request matches holdWhen, until released', async () => {
    proxy.set({ holdWhen: /^POST \/commit/m });
    proxy.resetStats();
    expect((await roundTrip(Buffer.from('GET /other\r\n'))).got.toString()).toBe('GET /other\r\n');
    const held = roundTrip(Buffer.from('POST /commit\r\n'), 14, 5000);
    await proxy.waitFor((p) => p.stats.holds === 1, 2000, 'the hold');
    await new Promise((r) => setTimeout(r, 300));
    expect(proxy.stats.up).toBe('GET /other\r\n'.length);
    proxy.clear();
    expect((await held).got.toString()).toBe('POST /commit\r\n');
  });

  it('per-connection faults override the global ones; cutAll closes every connection', async () => {
    proxy.clear();
    const lastId = Math.max(0, ...proxy.conns.map((c) => c.id));
    const s = net.connect(proxy.port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise<void>((r) => s.once('connect', () => r()));
    await proxy.waitFor((p) => p.conns.some((c) => c.id > lastId), 2000, 'the connection');
    const mine = proxy.conns.find((c) => c.id > lastId)!;
    // This connection stalls while the others pass.
    mine.set({ stall: true });
    let echoed = 0;
    s.on('data', (d: Buffer) => (echoed += d.length));
    s.write('stuck');
    expect((await roundTrip(Buffer.from('other'))).got.toString()).toBe('other');
    await new Promise((r) => setTimeout(r, 200));
    expect(echoed).toBe(0);
    mine.set(undefined);
    await proxy.waitFor(() => echoed === 5, 2000, 'the released echo');
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    proxy.cutAll();
    await closed;
    await proxy.waitFor((p) => p.conns.length === 0, 2000, 'no connection left');
  });
});
