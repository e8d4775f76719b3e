/**
 * The first checks of every small JSON document snapstream reads back from a bucket (manifests,
 * progress records): untrusted bytes, so the size bound comes before parsing, then JSON, an object,
 * the expected "format". `bad` throws the caller's typed error naming the document.
 */
export function parseJsonObject(bytes: Buffer, maxBytes: number, format: string, bad: (why: string) => never): Record<string, unknown> {
  if (bytes.length > maxBytes) bad(`it is ${bytes.length} bytes, more than the ${maxBytes} allowed`);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return bad('not a JSON object');
  const o = raw as Record<string, unknown>;
  if (o.format !== format) bad(`"format" is ${JSON.stringify(o.format)}, expected "${format}"`);
  return o;
}
