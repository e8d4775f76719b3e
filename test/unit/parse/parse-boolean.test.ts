import { describe, expect, it } from 'vitest';
import { parseBoolean } from '../../../src/parse/parse-boolean.js';
import { errorOf } from './helpers.js';

describe('parseBoolean', () => {
  it.each([
    ['true', true], ['TRUE', true], ['True', true], ['yes', true], ['YES', true], ['1', true], [' true ', true],
    ['false', false], ['False', false], ['no', false], ['No', false], ['0', false],
  ] as const)('%j -> %s', (input, want) => {
    expect(parseBoolean('k', input)).toBe(want);
  });
  it.each([
    ['', 'k: "" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)'],
    ['ture', 'k: "ture" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)'],
    ['on', 'k: "on" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)'],
    ['2', 'k: "2" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)'],
    [
      '\u201ctrue\u201d',
      'k: "\u201ctrue\u201d" is not a boolean; the value is wrapped in typographic quotes (“ ”), which YAML keeps as part of the text; use straight quotes: k: "true"',
    ],
  ])('%j is refused', (input, message) => {
    expect(errorOf(() => parseBoolean('k', input)).message).toBe(message);
  });
});
