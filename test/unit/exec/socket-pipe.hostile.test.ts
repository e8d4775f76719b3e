import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SocketPipe } from '../../../src/exec/socket-pipe.js';

/**
 * Another local process that connects to the pipe's abstract socket before snapstream's own end
 * does (the name is visible in /proc/net/unix) and prints whatever it receives.
 */
function foreignPeer(name: string): Promise<{ received: () => Promise<string> }> {
  const script = `
const net = require('node:net');
const s = net.connect({ path: ${JSON.stringify(name)} }, () => process.stdout.write('connected\\n'));
let got = 0;
s.on('data', (b) => { got += b.length; });
s.on('error', () => {});
s.on('close', () => { process.stdout.write('received ' + got + '\\n'); process.exit(0); });
setTimeout(() => { process.stdout.write('received ' + got + '\\n'); process.exit(0); }, 3000);
`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('foreign peer did not connect')), 5000);
    child.stdout.on('data', () => {
      if (out.includes('connected')) {
        clearTimeout(t);
        resolve({ received: async () => (await exited, out) });
      }
    });
  });
}

describe('SocketPipe peer authentication', () => {
  it('a foreign process connecting first is not given the stream (it is closed, our reader gets every byte)', async () => {
    let peer: Awaited<ReturnType<typeof foreignPeer>> | undefined;
    const pipe = await SocketPipe.open({
      beforeConnect: async (name) => {
        peer = await foreignPeer(name);
        await new Promise((r) => setTimeout(r, 200)); // let the server accept it first
      },
    });
    expect(peer).toBeDefined();
    // What the child (zfs send) would write into its stdout:
    const payload = Buffer.alloc(256 * 1024, 7);
    const got: Buffer[] = [];
    const buf = Buffer.alloc(64 * 1024);
    pipe.start({
      next: () => buf,
      landed: (into, n) => {
        got.push(Buffer.from(into.subarray(0, n)));
        return true;
      },
    });
    await new Promise<void>((resolve, reject) => pipe.childEnd.end(payload, () => resolve()).once('error', reject));
    await pipe.ended;
    pipe.destroy();
    expect(Buffer.concat(got).equals(payload)).toBe(true);
    expect(await peer!.received()).toMatch(/received 0\n/);
  });
});
