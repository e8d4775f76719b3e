import { ErrorCode, SnapstreamError } from '../errors.js';

const MAX_KEY_BYTES = 1024;

/**
 * Validates an object key before it reaches any store. Keys map to file paths in the local store, so
 * anything that could escape the root (`..` segments, a leading `/`, NUL, backslashes) is refused,
 * as are control characters that break listings and logs.
 */
export function validateObjectKey(key: string, what = 'object key'): string {
  const fail = (why: string): never => {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${what} ${JSON.stringify(key)} ${why}`);
  };
  if (key.length === 0) fail('is empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) fail(`is longer than ${MAX_KEY_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(key)) fail('contains a control character or backslash');
  if (key.startsWith('/')) fail('starts with "/"');
  for (const seg of key.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') fail('has an empty, "." or ".." path segment');
  }
  return key;
}

/** Joins key segments with "/", skipping empty ones and trimming stray slashes. */
export function joinKey(...parts: (string | undefined)[]): string {
  return parts
    .filter((p): p is string => p !== undefined && p !== '')
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter((p) => p !== '')
    .join('/');
}
