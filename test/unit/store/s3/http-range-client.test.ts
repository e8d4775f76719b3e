import { describe, expect, it } from 'vitest';
import { checkRange, parseHead } from '../../../../src/store/s3/http-range-client.js';
import { encodeKey, s3Target } from '../../../../src/store/s3/s3-direct.js';
import type { ResolvedS3Config as S3StoreConfig } from '../../../../src/store/s3/s3-config.js';

const h = (o: Record<string, string>) => new Map(Object.entries(o));

describe('parseHead', () => {
  it('reads the status and headers, names lower-cased', () => {
    const r = parseHead('HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\nContent-Range: bytes 0-9/20');
    expect(r).toEqual({ status: 206, headers: h({ 'content-length': '10', 'content-range': 'bytes 0-9/20' }) });
  });
  it('refuses a malformed status line, header line, or conflicting framing headers', () => {
    expect(parseHead('HTTP/2 206')).toMatch(/malformed status line/);
    expect(parseHead('HTTP/1.1 206 OK\r\nno colon here')).toMatch(/malformed header/);
    expect(parseHead('HTTP/1.1 206 OK\r\nContent-Length: 1\r\nContent-Length: 2')).toMatch(/conflicting content-length/);
  });
});

describe('checkRange', () => {
  it('accepts exactly the requested bytes, or their tail cut by the end of the object', () => {
    expect(checkRange(h({ 'content-length': '10', 'content-range': 'bytes 100-109/1000' }), 100, 10)).toBe(10);
    expect(checkRange(h({ 'content-length': '5', 'content-range': 'bytes 995-999/1000' }), 995, 10)).toBe(5);
  });
  it('refuses other bytes, a short range not at the end, a mismatched length, chunked bodies', () => {
    expect(checkRange(h({ 'content-length': '10', 'content-range': 'bytes 101-110/1000' }), 100, 10)).toMatch(/does not match/);
    expect(checkRange(h({ 'content-length': '5', 'content-range': 'bytes 100-104/1000' }), 100, 10)).toMatch(/not at the end/);
    expect(checkRange(h({ 'content-length': '9', 'content-range': 'bytes 100-109/1000' }), 100, 10)).toMatch(/Content-Length 9/);
    expect(checkRange(h({ 'content-length': '10', 'content-range': 'bytes 100-109/105' }), 100, 10)).toMatch(/past its own total/);
    expect(checkRange(h({ 'transfer-encoding': 'chunked', 'content-range': 'bytes 100-109/1000' }), 100, 10)).toMatch(/Transfer-Encoding/);
    expect(checkRange(h({ 'content-length': '10' }), 100, 10)).toMatch(/without a valid Content-Range/);
    expect(checkRange(h({ 'content-range': 'bytes 100-109/1000' }), 100, 10)).toMatch(/without a valid Content-Length/);
  });
});

describe('S3 addressing of the fast GET', () => {
  const base: S3StoreConfig = { provider: 'aws', bucket: 'bkt', region: 'us-east-1', forcePathStyle: true, insecureSkipTLSVerify: false, checksums: 'WHEN_REQUIRED' };
  it('encodes keys once, as S3 signs them', () => {
    expect(encodeKey("a b/c+d/ü/(x)*'!~.-_")).toBe("a%20b/c%2Bd/%C3%BC/%28x%29%2A%27%21~.-_");
  });
  it('builds path-style, virtual-host and AWS URLs, and leaves the odd cases to the SDK', () => {
    const p = s3Target({ ...base, endpoint: 'http://127.0.0.1:7480/pre/' })!;
    expect([p.url.origin, p.basePath]).toEqual(['http://127.0.0.1:7480', '/pre/bkt/']);
    const v = s3Target({ ...base, endpoint: 'https://s3.example.com', forcePathStyle: false })!;
    expect([v.url.origin, v.basePath]).toEqual(['https://bkt.s3.example.com', '/']);
    const a = s3Target({ ...base, forcePathStyle: false, region: 'eu-west-2' })!;
    expect(a.url.origin).toBe('https://bkt.s3.eu-west-2.amazonaws.com');
    expect(s3Target({ ...base, bucket: 'with.dots', forcePathStyle: false })).toBeUndefined();
    expect(s3Target({ ...base, bucket: 'Legacy_Name', endpoint: 'https://s3.example.com', forcePathStyle: false })).toBeUndefined();
    expect(s3Target({ ...base, endpoint: 'http://user:pw@host:1' })).toBeUndefined();
  });
});
