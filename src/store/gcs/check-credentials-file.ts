import { readFileSync } from 'node:fs';
import { ErrorCode, SnapstreamError } from '../../errors.js';

/** Credential file types google-auth-library accepts as a key file. */
const TYPES = ['service_account', 'external_account', 'authorized_user', 'impersonated_service_account', 'external_account_authorized_user'];

/**
 * Checks up front that a credentials file is readable JSON of a known type, so a wrong path or a
 * wrong Secret fails with a message naming the file instead of an OpenSSL decoder error on the first
 * request. Never echoes the file's content.
 */
export function checkCredentialsFile(file: string): void {
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.INVALID_LOCATION, `GCS credentialsFile ${file} ${why}`);
  };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return bad(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); mount the key file there or leave credentialsFile out to use Application Default Credentials`);
  }
  let json: { type?: unknown; private_key?: unknown } | undefined;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    bad('is not JSON; give the service-account key file downloaded from Google Cloud (JSON)');
  }
  const type = typeof json?.type === 'string' ? json.type : '';
  if (!TYPES.includes(type)) bad(`has type ${JSON.stringify(type)}; expected one of ${TYPES.join(', ')}`);
  if (type === 'service_account' && (typeof json?.private_key !== 'string' || !json.private_key.includes('PRIVATE KEY'))) {
    bad('is a service-account key without a PEM private_key');
  }
}
