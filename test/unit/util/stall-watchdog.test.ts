import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { StallWatchdog } from '../../../src/util/stall-watchdog.js';

describe('stall watchdog', () => {
  it('fires once when nothing moved for the timeout, never while touched, never with 0', async () => {
    const fired: number[] = [];
    const moving = new StallWatchdog({ timeoutMs: 200, onStall: () => fired.push(1) });
    const stuck = new StallWatchdog({ timeoutMs: 200, onStall: (idle) => fired.push(idle) });
    const off = new StallWatchdog({ timeoutMs: 0, onStall: () => fired.push(-1) });
    const t = setInterval(() => moving.touch(), 40);
    await sleep(600);
    clearInterval(t);
    moving.stop();
    off.stop();
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(200);
    stuck.stop();
  });
});
