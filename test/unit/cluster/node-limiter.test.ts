import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/errors.js';
import { NodeLimiter } from '../../../src/cluster/node-limiter.js';

describe('NodeLimiter', () => {
  it('runs at most `limit` per node, nodes in parallel, and drops aborted waiters', async () => {
    const l = new NodeLimiter(1);
    const seen: string[] = [];
    let maxA = 0;
    const task = (node: string, ms: number) =>
      l.run(node, async () => {
        maxA = Math.max(maxA, l.active('a'));
        seen.push(`start ${node}`);
        await new Promise((r) => setTimeout(r, ms));
        seen.push(`end ${node}`);
      });
    await Promise.all([task('a', 30), task('a', 10), task('b', 5)]);
    expect(maxA).toBe(1);
    expect(seen.slice(0, 2).sort()).toEqual(['start a', 'start b']);
    const ac = new AbortController();
    const hold = l.run('a', () => new Promise((r) => setTimeout(r, 50)));
    const waiting = l.run('a', async () => 'ran', ac.signal);
    ac.abort();
    await expect(waiting).rejects.toMatchObject({ code: ErrorCode.ABORTED });
    await hold;
    expect(l.active('a')).toBe(0);
  });
});
