import { ErrorCode, SnapstreamError, isSnapstreamError } from '../../errors.js';
import { MAX_CREDENTIALS_BYTES, readCappedRegularFile } from '../../util/read-capped-file.js';

/** Credential file types google-auth-library accepts as a key file. */
const TYPES = ['service_account', 'external_account', 'authorized_user', 'impersonated_service_account', 'external_account_authorized_user'];

/**
 * Reads and checks a credentials file once, up front: a regular file under 1 MiB (never /dev/zero, a
 * FIFO or a symlink: readCappedRegularFile), JSON of a known type. Returns the parsed JSON so the
 * client is built from these bytes and the library never opens the path again (no second, unchecked
 * read). A wrong path or a wrong Secret fails with a message naming the file, never its content.
 */
export async function checkCredentialsFile(file: string): Promise<Record<string, unknown>> {
  const bad = (why: string): never => {
    throw new SnapstreamError(ErrorCode.INVALID_LOCATION, `GCS credentialsFile ${file} ${why}`);
  };
  let text: string;
  try {
    text = (await readCappedRegularFile(file, MAX_CREDENTIALS_BYTES, 'GCS credentialsFile')).toString('utf8');
  } catch (e) {
    if (!isSnapstreamError(e)) throw e;
    throw new SnapstreamError(ErrorCode.INVALID_LOCATION, `${e.message} (or leave credentialsFile out to use Application Default Credentials)`);
  }
  let json: { type?: unknown; private_key?: unknown } | undefined;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    bad('is not JSON; give the service-account key file downloaded from Google Cloud (JSON)');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('is not a JSON object; give a service-account key file');
  const type = typeof json?.type === 'string' ? json.type : '';
  if (!TYPES.includes(type)) bad(`has type ${JSON.stringify(type)}; expected one of ${TYPES.join(', ')}`);
  if (type === 'service_account' && (typeof json?.private_key !== 'string' || !json.private_key.includes('PRIVATE KEY'))) {
    bad('is a service-account key without a PEM private_key');
  }
  return json as Record<string, unknown>;
}
