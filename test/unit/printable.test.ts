import { describe, expect, it } from 'vitest';
import { jsonSafe, printable, printableLine } from '../../src/printable.js';

describe('printable', () => {
  it('makes escape sequences, C1 controls and bidi overrides visible', () => {
    expect(printable('a\x1b]0;pwned\x07b')).toBe('a\\u{1b}]0;pwned\\u{7}b');
    expect(printable('x\u009b31my\u202ez')).toBe('x\\u{9b}31my\\u{202e}z');
    expect(printableLine('l1\nl2\tx')).toBe('l1\\nl2\\tx');
    expect(printable('pool/pvc-1@daily-20260301')).toBe('pool/pvc-1@daily-20260301');
  });
  it('jsonSafe keeps JSON valid and escapes what JSON.stringify leaves raw', () => {
    const s = jsonSafe(JSON.stringify({ d: 'a\u009b\x1bb' }));
    expect(s).not.toMatch(/[\u001b\u009b]/);
    expect(JSON.parse(s)).toEqual({ d: 'a\u009b\x1bb' });
  });
});
