import http2 from 'node:http2';
import { readFileSync } from 'node:fs';

/** VmRSS of a process in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export interface FloodResult {
  /** Streams that got their first Watch response (SERVING) while the flood was open. */
  served: number;
  /** Streams refused, reset or on a connection that was closed. */
  refused: number;
  /** Connections that completed the HTTP/2 handshake. */
  connected: number;
  close(): void;
}

/**
 * Opens `connections` plaintext HTTP/2 connections to a grpc.health.v1 port and `streamsPer` Watch
 * streams on each, as an attacker on the pod network could, and keeps them open until close(). A
 * Watch call is a 5-byte gRPC frame (an empty HealthCheckRequest = every service). Every stream
 * settles (served, refused or timed out after `settleMs`): bounded in count and time.
 */
export async function healthFlood(port: number, connections: number, streamsPer: number, settleMs = 10_000): Promise<FloodResult> {
  const sessions: http2.ClientHttp2Session[] = [];
  let served = 0;
  let refused = 0;
  let connected = 0;
  const settles: Promise<void>[] = [];
  for (let c = 0; c < connections; c++) {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    sessions.push(session);
    session.on('error', () => {});
    session.once('connect', () => connected++);
    for (let s = 0; s < streamsPer; s++) {
      settles.push(
        new Promise<void>((resolve) => {
          let done = false;
          const settle = (ok: boolean) => {
            if (done) return;
            done = true;
            if (ok) served++;
            else refused++;
            resolve();
          };
          const timer = setTimeout(() => settle(false), settleMs);
          timer.unref();
          try {
            const req = session.request({ ':method': 'POST', ':path': '/grpc.health.v1.Health/Watch', 'content-type': 'application/grpc', te: 'trailers' });
            req.on('data', () => {
              clearTimeout(timer);
              settle(true);
            });
            req.on('error', () => settle(false));
            req.on('close', () => settle(false));
            req.end(Buffer.from([0, 0, 0, 0, 0]));
          } catch {
            settle(false);
          }
        }),
      );
    }
  }
  await Promise.all(settles);
  return {
    served,
    refused,
    connected,
    close: () => {
      for (const s of sessions) s.destroy();
    },
  };
}
