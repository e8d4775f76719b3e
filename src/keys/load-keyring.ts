import { type KeyObject, createPrivateKey, createPublicKey } from 'node:crypto';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { readCappedRegularFile } from '../util/read-capped-file.js';
import { type Keyring, masterKeyId, publicKeyId } from './keyring.js';

/** Where a process's keys come from: paths of files (mounted Secrets), never their contents in flags. */
export interface KeyFiles {
  signingKeyFile?: string;
  trustedKeyFiles?: string[];
  encryptionKeyFile?: string;
}

const KEY_FILE_MAX_BYTES = 16 * 1024;
const MAX_TRUSTED_KEYS = 32;

/**
 * Loads and checks every configured key file. A bad file fails here, at start-up, naming the file
 * and what it should hold; key material never reaches an error or a log.
 */
export async function loadKeyring(f: KeyFiles): Promise<Keyring> {
  const ring: Keyring = { trusted: new Map() };
  if (f.signingKeyFile) {
    const key = parsePrivate(await readCappedRegularFile(f.signingKeyFile, KEY_FILE_MAX_BYTES, 'signing key file'), f.signingKeyFile);
    const keyId = publicKeyId(key);
    ring.signer = { keyId, key };
    ring.trusted.set(keyId, createPublicKey(key));
  }
  const trusted = f.trustedKeyFiles ?? [];
  if (trusted.length > MAX_TRUSTED_KEYS) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${trusted.length} trusted keys configured; at most ${MAX_TRUSTED_KEYS} are allowed`);
  }
  for (const file of trusted) {
    const pub = parsePublic(await readCappedRegularFile(file, KEY_FILE_MAX_BYTES, 'trusted key file'), file);
    ring.trusted.set(publicKeyId(pub), pub);
  }
  if (f.encryptionKeyFile) {
    const key = parseMasterKey(await readCappedRegularFile(f.encryptionKeyFile, KEY_FILE_MAX_BYTES, 'encryption key file'), f.encryptionKeyFile);
    ring.master = { keyId: masterKeyId(key), key };
  }
  return ring;
}

function keyError(file: string, what: string): SnapstreamError {
  return new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${JSON.stringify(file)} does not hold ${what}`, { details: { path: file } });
}

function parsePrivate(bytes: Buffer, file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: bytes, format: 'pem' });
  } catch {
    throw keyError(file, 'a PEM private key; create one with `openssl genpkey -algorithm ed25519 -out signing.pem` (or `snapstream keygen`)');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw keyError(file, `an Ed25519 key (it holds a ${key.asymmetricKeyType} key)`);
  return key;
}

/** A trusted key file holds a PEM public key (or, for convenience on writers, the private key). */
function parsePublic(bytes: Buffer, file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: bytes, format: 'pem' });
  } catch {
    throw keyError(file, 'a PEM public key; derive it with `openssl pkey -in signing.pem -pubout -out signing.pub.pem`');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw keyError(file, `an Ed25519 public key (it holds a ${key.asymmetricKeyType} key)`);
  return key;
}

/**
 * A master key is 32 bytes: raw, or written as 64 hex digits or as base64 (what `openssl rand -hex 32`
 * and `openssl rand -base64 32` print), with surrounding white space ignored.
 */
export function parseMasterKey(bytes: Buffer, file: string): Buffer {
  if (bytes.length === 32) return Buffer.from(bytes);
  const text = bytes.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) {
    const b = Buffer.from(text, 'base64');
    if (b.length === 32) return b;
  }
  throw keyError(file, 'a 32-byte key (raw, 64 hex digits or base64); create one with `openssl rand -base64 32 > encryption.key`');
}
