import { describe, expect, it } from 'vitest';
import { REDACTED, isSecretKey, redactConfigMap, redactDeep, redactText, redactUrl } from '../../src/redact.js';

const S = 'S3CR3T-value-9f8e7d';

describe('redactUrl', () => {
  it('masks userinfo and credential-like query values, keeping the shape', () => {
    expect(redactUrl(`https://AKID:${S}@minio.example:9000/p?region=x`)).toBe(`https://${REDACTED}@minio.example:9000/p?region=x`);
    const presigned = `https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261201&X-Amz-Security-Token=${S}&X-Amz-Signature=${S}&partNumber=3`;
    const r = redactUrl(presigned);
    expect(r).not.toContain(S);
    expect(r).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(r).toContain('partNumber=3');
    expect(r).toContain(`X-Amz-Signature=${REDACTED}`);
    for (const k of ['sig', 'token', 'key', 'secret', 'password', 'access_token', 'X-Goog-Signature', 'GoogleAccessId', 'Signature']) {
      expect(redactUrl(`https://h/p?${k}=${S}&a=b`), k).not.toContain(S);
    }
  });

  it('redacts URLs nested in a query value (an endpoint with userinfo or its own signed query)', () => {
    const inner = `http://AK:${S}@127.0.0.1:9000/?X-Amz-Security-Token=${S}`;
    const r = redactUrl(`s3://bucket/prefix?endpoint=${encodeURIComponent(inner)}&region=us-east-1`);
    expect(r).not.toContain(S);
    expect(decodeURIComponent(r)).toContain('127.0.0.1:9000');
    expect(r).toContain('region=us-east-1');
    // Raw (unencoded) nesting, as users type it.
    expect(redactUrl(`s3://b/p?endpoint=http://AK:${S}@h:1`)).not.toContain(S);
  });

  it('keeps harmless locations readable and does not echo non-URLs', () => {
    expect(redactUrl('s3://bucket/cluster-a?endpoint=http%3A%2F%2F127.0.0.1%3A7480&region=us-east-1')).toBe('s3://bucket/cluster-a?endpoint=http%3A%2F%2F127.0.0.1%3A7480&region=us-east-1');
    expect(redactUrl('file:///var/backups')).toBe('file:///var/backups');
    expect(redactUrl('/var/backups')).toBe('/var/backups');
    expect(redactUrl(`pasted ${S}`)).not.toContain(S);
    expect(redactUrl('https://h/p#access_token=' + S)).not.toContain(S);
  });
});

describe('redactText', () => {
  it('masks URLs, name=value pairs, auth headers, AWS key ids and private keys inside free text', () => {
    const msg =
      `location "s3://b/p?endpoint=https://x&X-Amz-Security-Token=${S}" has an unknown parameter; ` +
      `request to https://u:${S}@host/x failed; Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/x, Signature=${S}; ` +
      `password=${S} token: ${S} "secretAccessKey":"${S}" key=${S} ` +
      `-----BEGIN PRIVATE KEY-----\nMIIE${S}\n-----END PRIVATE KEY-----`;
    const r = redactText(msg);
    expect(r).not.toContain(S);
    expect(r).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(r).toContain('has an unknown parameter');
  });

  it('leaves ordinary error text alone', () => {
    const msg = 'backup s1 of tank/vol@s1: part 3 of object key: backups/s1/pvc-1-s1 is 5 bytes short (expected 8388608)';
    expect(redactText(msg)).toBe(msg);
    expect(redactText('GCS credentialsFile /dev/zero is a device, not a regular file')).toBe('GCS credentialsFile /dev/zero is a device, not a regular file');
    expect(redactText('{"dataKey":"backups/s1/pvc-1-s1","objectKey": "x"}')).toBe('{"dataKey":"backups/s1/pvc-1-s1","objectKey": "x"}');
    expect(redactText(`{"secretKey":"${S}","accessKey": "${S}"}`)).not.toContain(S);
  });
});

describe('key classification and structured values', () => {
  it('one list of secret names for logs, VSL maps and query parameters', () => {
    for (const k of ['secretAccessKey', 'AWS_SECRET_ACCESS_KEY', 'password', 'sessionToken', 'Authorization', 'privateKey', 'key', 'caCert', 'X-Amz-Security-Token', 'X-Amz-Credential', 'sig', 'apiKey', 'credentialsFile']) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of ['bucket', 'region', 'provider', 's3Url', 'prefix', 'backupPathPrefix', 'endpoint', 'keyFile', 'partSize']) expect(isSecretKey(k), k).toBe(false);
    expect(redactConfigMap({ bucket: 'b', secret: S, s3Url: `http://a:${S}@h` })).toEqual({ bucket: 'b', secret: REDACTED, s3Url: `http://${REDACTED}@h` });
  });

  it('redactDeep masks by key and by value, through errors and arrays, bounded on cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const out = JSON.stringify(redactDeep({ err: new Error(`GET https://h/?token=${S}`), list: [`password=${S}`], sessionToken: S, cyclic }));
    expect(out).not.toContain(S);
    expect(out).toContain('GET https://h/?token=');
    const when = new Date(0);
    expect((redactDeep({ when }) as { when: unknown }).when).toBe(when);
  });
});
