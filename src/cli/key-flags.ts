import type { Keyring } from '../keys/keyring.js';
import { type KeyFiles, loadKeyring } from '../keys/load-keyring.js';
import type { Options, Parsed } from './args.js';

/**
 * Key flags shared by backup/restore/verify/ls/cat. Each has an environment variable, so a key file
 * (a mounted Secret) is configured once per host rather than on every command line. Key paths are
 * deliberately not VolumeSnapshotLocation settings: a VSL travels to the agent in requests, and a
 * request must not choose which files the agent reads (the agent's own config names its keys).
 */
export const KEY_FLAGS: Options = {
  'signing-key': { type: 'string' },
  'trusted-key': { type: 'string', multiple: true },
  'encryption-key': { type: 'string' },
  'allow-unauthenticated': { type: 'boolean' },
};

export const KEY_HELP = `  --signing-key FILE     Ed25519 private key (PEM): sign the manifest (env SNAPSTREAM_SIGNING_KEY_FILE)
  --trusted-key FILE     Ed25519 public key (PEM) whose signatures are accepted; repeatable (env
                         SNAPSTREAM_TRUSTED_KEY_FILES, comma-separated). With any trusted or signing key,
                         unsigned and forged backups are refused (exit 3)
  --encryption-key FILE  32-byte master key: encrypt new backups, read encrypted ones (env SNAPSTREAM_ENCRYPTION_KEY_FILE)
  --allow-unauthenticated  accept a backup not signed by a trusted key (e.g. written before signing was set up)
`;

export function keyFilesFor(p: Parsed, env: NodeJS.ProcessEnv = process.env): KeyFiles {
  const flag = (name: string) => {
    const v = p.values[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const listed = p.values['trusted-key'] as unknown as string[] | undefined;
  const fromEnv = (env.SNAPSTREAM_TRUSTED_KEY_FILES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    signingKeyFile: flag('signing-key') ?? (env.SNAPSTREAM_SIGNING_KEY_FILE || undefined),
    trustedKeyFiles: listed && listed.length > 0 ? listed : fromEnv,
    encryptionKeyFile: flag('encryption-key') ?? (env.SNAPSTREAM_ENCRYPTION_KEY_FILE || undefined),
  };
}

export async function keyringFor(p: Parsed): Promise<Keyring> {
  return loadKeyring(keyFilesFor(p));
}
