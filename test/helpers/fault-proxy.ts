import net from 'node:net';

/**
 * A fault-injecting TCP proxy of the tests' own (this kernel has no netem/tbf qdisc). It listens on
 * 127.0.0.1:0 and forwards every connection to `target`; faults can be flipped at run time, for all
 * connections (`proxy.set`) or one (`proxy.conns[i].set`). Loopback only.
 *
 * API
 *   const p = await startFaultProxy({ host: '127.0.0.1', port: 7480 });
 *   p.url / p.port                      where clients connect (http://127.0.0.1:PORT)
 *   p.set({ ...faults })                replace the global faults ({} or p.clear() = none)
 *   p.stats                             { up, down, connections, refused, cuts, resets, holds }
 *                                       up = bytes forwarded client->server, down = server->client
 *   p.resetStats()                      zero the counters
 *   p.conns                             open connections: { id, up, down, set(faults), cut(), reset() }
 *   p.cutAll() / p.resetAll()           close every open connection now (FIN / RST)
 *   p.waitFor(pred, timeoutMs, what)    poll until pred(p) is true (bounded; rejects on timeout)
 *   p.close()                           destroy every connection and stop listening
 *
 * Faults (all optional; a connection uses its own faults where set, else the global ones)
 *   delayMs              added before each forwarded chunk, both directions
 *   throttleBytesPerSec  cap per direction, shared by all connections (a slow link)
 *   stall                true: stop forwarding (data waits, nothing is lost) until cleared
 *   stallMs              stall for this long from the moment the faults are set, then forward again
 *   cutAfterBytes        { up?, down? }: once that many more bytes went that way (counted over all
 *                        connections from set()), the carrying connection is closed there (FIN);
 *                        the bytes before the cut are forwarded. Once, unless `persistent`.
 *   resetAfterBytes      the same with an RST (socket.resetAndDestroy) instead of a FIN
 *   persistent           true: after the threshold, every connection carrying bytes is cut/reset too
 *                        (a link that stays broken) until the faults are changed
 *   refuse               true: new connections are reset at once (the server looks unreachable)
 *   holdWhen             RegExp tested on each client->server chunk (latin1): on a match the
 *                        connection stops forwarding from that chunk on (the request never reaches
 *                        the server) and stats.holds counts it; released by set()/clear() without it
 */
export interface Faults {
  delayMs?: number;
  throttleBytesPerSec?: number;
  stall?: boolean;
  stallMs?: number;
  cutAfterBytes?: { up?: number; down?: number };
  resetAfterBytes?: { up?: number; down?: number };
  persistent?: boolean;
  refuse?: boolean;
  holdWhen?: RegExp;
}

export interface ProxyStats {
  up: number;
  down: number;
  connections: number;
  refused: number;
  cuts: number;
  resets: number;
  holds: number;
}

export interface ProxyConnection {
  readonly id: number;
  readonly up: number;
  readonly down: number;
  set(f: Faults | undefined): void;
  cut(): void;
  reset(): void;
}

export interface FaultProxy {
  readonly url: string;
  readonly port: number;
  readonly stats: ProxyStats;
  readonly conns: ProxyConnection[];
  set(f: Faults): void;
  clear(): void;
  resetStats(): void;
  cutAll(): void;
  resetAll(): void;
  waitFor(pred: (p: FaultProxy) => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): Promise<void>;
}

type Dir = 'up' | 'down';
const SLICE = 16 * 1024;
/** Bytes queued per direction before the source is paused (backpressure through the proxy). */
const HIGH_WATER = 1024 * 1024;

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let faults: Faults = {};
  let faultsSetAt = Date.now();
  /** Bytes per direction since the faults were last set (thresholds count from there). */
  const since = { up: 0, down: 0 };
  const tripped = { up: false, down: false };
  const stats: ProxyStats = { up: 0, down: 0, connections: 0, refused: 0, cuts: 0, resets: 0, holds: 0 };
  /** Token bucket per direction for the throttle: when the next byte may go. */
  const bucket = { up: 0, down: 0 };
  const wakers = new Set<() => void>();
  const wakeAll = () => {
    for (const w of [...wakers]) w();
  };
  const live = new Set<Conn>();
  let nextId = 1;

  class Conn implements ProxyConnection {
    readonly id = nextId++;
    up = 0;
    down = 0;
    own: Faults | undefined;
    held = false;
    closed = false;
    constructor(
      readonly client: net.Socket,
      readonly server: net.Socket,
    ) {}
    faults(): Faults {
      return this.own ?? faults;
    }
    set(f: Faults | undefined): void {
      this.own = f;
      if (!f?.holdWhen) this.held = false;
      wakeAll();
    }
    cut(): void {
      if (this.closed) return;
      this.closed = true;
      stats.cuts++;
      this.client.destroy();
      this.server.destroy();
      wakeAll();
    }
    reset(): void {
      if (this.closed) return;
      this.closed = true;
      stats.resets++;
      this.client.resetAndDestroy();
      this.server.resetAndDestroy();
      wakeAll();
    }
  }

  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  /** Waits until `ok()` holds, re-checking when faults change and at least every 50 ms. */
  const until = async (c: Conn, ok: () => boolean): Promise<void> => {
    while (!c.closed && !ok()) {
      await new Promise<void>((r) => {
        const t = setTimeout(done, 50);
        function done() {
          clearTimeout(t);
          wakers.delete(done);
          r();
        }
        wakers.add(done);
      });
    }
  };

  const stalled = (c: Conn): boolean => {
    const f = c.faults();
    if (c.held) return true;
    if (f.stall) return true;
    if (f.stallMs !== undefined && Date.now() - faultsSetAt < f.stallMs) return true;
    return false;
  };

  function pump(c: Conn, dir: Dir, src: net.Socket, dst: net.Socket): void {
    const queue: Buffer[] = [];
    let queued = 0;
    let wake: (() => void) | undefined;
    let ended = false;
    src.on('data', (d: Buffer) => {
      if (dir === 'up' && !c.held) {
        const f = c.faults();
        if (f.holdWhen && f.holdWhen.test(d.toString('latin1'))) {
          c.held = true;
          stats.holds++;
        }
      }
      queue.push(d);
      queued += d.length;
      if (queued > HIGH_WATER) src.pause();
      wake?.();
    });
    src.on('end', () => {
      ended = true;
      wake?.();
    });
    void (async () => {
      for (;;) {
        if (c.closed) return;
        if (queue.length === 0) {
          if (ended) {
            dst.end();
            return;
          }
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          continue;
        }
        await until(c, () => !stalled(c));
        if (c.closed) return;
        const f = c.faults();
        if (f.delayMs) await sleep(f.delayMs);
        let chunk = queue.shift()!;
        if (f.throttleBytesPerSec && chunk.length > SLICE) {
          queue.unshift(chunk.subarray(SLICE));
          chunk = chunk.subarray(0, SLICE);
        }
        queued -= chunk.length;
        if (queued <= HIGH_WATER) src.resume();
        if (f.throttleBytesPerSec) {
          const now = Date.now();
          const at = Math.max(bucket[dir], now);
          bucket[dir] = at + (chunk.length / f.throttleBytesPerSec) * 1000;
          if (at > now) await sleep(at - now);
          if (c.closed) return;
        }
        // Cut / reset thresholds, counted over all connections since the faults were set.
        const cutAt = f.cutAfterBytes?.[dir];
        const resetAt = f.resetAfterBytes?.[dir];
        const limit = cutAt ?? resetAt;
        if (limit !== undefined && (f.persistent || !tripped[dir]) && since[dir] + chunk.length >= limit) {
          const keep = Math.max(0, limit - since[dir]);
          tripped[dir] = true;
          since[dir] += keep;
          c[dir] += keep;
          stats[dir] += keep;
          const finish = () => (cutAt !== undefined ? c.cut() : c.reset());
          if (keep > 0) dst.write(chunk.subarray(0, keep), finish);
          else finish();
          return;
        }
        since[dir] += chunk.length;
        c[dir] += chunk.length;
        stats[dir] += chunk.length;
        if (!dst.write(chunk)) await new Promise<void>((r) => dst.once('drain', r).once('close', r));
      }
    })();
  }

  const server = net.createServer((client) => {
    if (faults.refuse) {
      stats.refused++;
      client.resetAndDestroy();
      return;
    }
    stats.connections++;
    const upstream = net.connect(target.port, target.host);
    const c = new Conn(client, upstream);
    live.add(c);
    for (const s of [client, upstream]) {
      s.on('error', () => {
        if (!c.closed) {
          c.closed = true;
          client.destroy();
          upstream.destroy();
        }
      });
      s.on('close', () => {
        const peer = s === client ? upstream : client;
        // A clean end reaches the peer through the pump (after what is still queued); an abrupt
        // close takes the peer down at once: a proxy never keeps half of a broken connection.
        // A held request never reaches the server, also when its client goes away meanwhile.
        if (!s.readableEnded || peer.destroyed || c.held) {
          c.closed = true;
          peer.destroy();
        }
        if (client.destroyed && upstream.destroyed) live.delete(c);
        wakeAll();
      });
    }
    pump(c, 'up', client, upstream);
    pump(c, 'down', upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;

  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    get conns() {
      return [...live];
    },
    set(f: Faults) {
      faults = { ...f };
      faultsSetAt = Date.now();
      since.up = since.down = 0;
      tripped.up = tripped.down = false;
      bucket.up = bucket.down = 0;
      if (!f.holdWhen) for (const c of live) c.held = false;
      wakeAll();
    },
    clear() {
      proxy.set({});
    },
    resetStats() {
      Object.assign(stats, { up: 0, down: 0, connections: 0, refused: 0, cuts: 0, resets: 0, holds: 0 });
    },
    cutAll() {
      for (const c of [...live]) c.cut();
    },
    resetAll() {
      for (const c of [...live]) c.reset();
    },
    async waitFor(pred, timeoutMs, what) {
      const end = Date.now() + timeoutMs;
      while (!pred(proxy)) {
        if (Date.now() > end) throw new Error(`fault proxy: timed out after ${timeoutMs} ms waiting for ${what} (stats ${JSON.stringify(stats)})`);
        await sleep(20);
      }
    },
    async close() {
      faults = {};
      for (const c of [...live]) {
        c.closed = true;
        c.client.destroy();
        c.server.destroy();
      }
      wakeAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
