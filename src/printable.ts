/**
 * Untrusted text (object keys, manifest fields, bucket-held status records, messages quoting them)
 * made safe for a terminal: C0/C1 control characters (ESC starts the escape sequences that can
 * rewrite the screen, set the window title or, on some terminals, inject input), DEL and the Unicode
 * bidi overrides that reorder what is displayed become visible `\u{..}` escapes. Plain text is
 * returned unchanged.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** Like printable, and newlines and tabs too: for one-line fields such as names and messages. */
export function printableLine(s: string): string {
  return printable(s).replace(/[\n\t]/g, (c) => (c === '\n' ? '\\n' : '\\t'));
}

/** For JSON output: JSON.stringify escapes C0 but leaves C1 and bidi controls raw. */
export function jsonSafe(json: string): string {
  return json.replace(UNSAFE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}
