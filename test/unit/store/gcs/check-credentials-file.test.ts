import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCredentialsFile } from '../../../../src/store/gcs/check-credentials-file.js';
import { mapGcsError } from '../../../../src/store/gcs/map-gcs-error.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sstest-gcs-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const SECRET = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC-not-a-real-key';

describe('checkCredentialsFile', () => {
  it('accepts service-account and workload-identity-federation files, returning their JSON', async () => {
    const sa = await checkCredentialsFile(file('sa.json', JSON.stringify({ type: 'service_account', private_key: `-----BEGIN PRIVATE KEY-----\n${SECRET}\n-----END PRIVATE KEY-----\n`, client_email: 'a@p.iam.gserviceaccount.com' })));
    expect(sa.client_email).toBe('a@p.iam.gserviceaccount.com');
    await expect(checkCredentialsFile(file('wif.json', JSON.stringify({ type: 'external_account', audience: '//iam.googleapis.com/x' })))).resolves.toMatchObject({ type: 'external_account' });
  });
  it.each([
    ['missing.json', undefined, /does not exist \(ENOENT\); mount the file there/],
    ['garbage.json', 'not json', /is not JSON/],
    ['other.json', JSON.stringify({ hello: 1 }), /has type ""; expected one of service_account/],
    ['nokey.json', JSON.stringify({ type: 'service_account', private_key: SECRET }), /without a PEM private_key/],
  ])('%s is refused with INVALID_LOCATION naming the file, never its content', async (name, text, msg) => {
    const p = text === undefined ? path.join(dir, name) : file(name, text);
    const e = await checkCredentialsFile(p).then(
      () => expect.unreachable(),
      (err: unknown) => err as Error & { code: string },
    );
    expect(e.code).toBe('INVALID_LOCATION');
    expect(e.message).toContain(p);
    expect(e.message).toMatch(msg);
    expect(e.message).not.toContain(SECRET);
  });
  it('/dev/zero is refused as a device without being read', async () => {
    await expect(checkCredentialsFile('/dev/zero')).rejects.toThrow(/\/dev\/zero is a device, not a regular file/);
  });
  it('maps credential failures of google-auth-library to a permanent error with the fix', () => {
    for (const m of ['Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication', 'error:1E08010C:DECODER routines::unsupported', 'invalid_grant: Invalid JWT Signature.']) {
      const e = mapGcsError('gs://b', 'k', new Error(m));
      expect(e.code).toBe('STORE_FAILED');
      expect(e.retryable).toBe(false);
      expect(e.message).toMatch(/no usable Google credentials .*GOOGLE_APPLICATION_CREDENTIALS, use workload identity, or give credentialsFile/);
    }
  });
});
