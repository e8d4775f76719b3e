import { describe, expect, it } from 'vitest';
import { fingerprint, idempotencyKey } from '../../../src/agent/fingerprint.js';

describe('idempotency keys', () => {
  it('are stable for the same identity and differ otherwise', () => {
    const a = fingerprint({ dataset: 'tank/v', snap: 's1', prev: '' });
    expect(fingerprint({ prev: '', snap: 's1', dataset: 'tank/v' })).toBe(a);
    expect(fingerprint({ dataset: 'tank/v', snap: 's2', prev: '' })).not.toBe(a);
    expect(idempotencyKey('backup', '', a)).toBe(`backup:${a}`);
    expect(idempotencyKey('backup', 'op-retry-1', a)).toBe('backup:key:op-retry-1');
    expect(() => idempotencyKey('backup', 'x\n', a)).toThrow(/printable/);
  });
});
