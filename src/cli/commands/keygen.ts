import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { parse, required } from '../args.js';
import { ErrorCode, SnapstreamError } from '../../errors.js';
import { masterKeyId, publicKeyId } from '../../keys/keyring.js';

export const KEYGEN_HELP = `Usage: snapstream keygen --out DIR

Creates, in DIR (which must exist), without overwriting anything:
  signing.pem      Ed25519 private key (mode 0600): writers only (--signing-key)
  signing.pub.pem  its public key: every reader (--trusted-key); safe to share
  encryption.key   32 random bytes, base64 (mode 0600): --encryption-key, on every node that
                   backs up or restores encrypted backups. Lose it and the backups are gone.
The same files come from stock tools:
  openssl genpkey -algorithm ed25519 -out signing.pem
  openssl pkey -in signing.pem -pubout -out signing.pub.pem
  openssl rand -base64 32 > encryption.key
`;

export async function keygenCommand(argv: string[]): Promise<number> {
  const p = parse('keygen', argv, { out: { type: 'string' } });
  if (p.values.help) {
    process.stdout.write(KEYGEN_HELP);
    return 0;
  }
  const dir = required('keygen', p, 'out', 'the directory to write the keys into');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const master = randomBytes(32);
  const files: Array<[string, string, number]> = [
    ['signing.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600],
    ['signing.pub.pem', publicKey.export({ type: 'spki', format: 'pem' }) as string, 0o644],
    ['encryption.key', master.toString('base64') + '\n', 0o600],
  ];
  for (const [name, text, mode] of files) {
    const file = path.join(dir, name);
    try {
      // O_EXCL: never overwrite a key; losing one loses every backup made with it.
      const fh = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new SnapstreamError(
        ErrorCode.INVALID_ARGUMENT,
        code === 'EEXIST' ? `${file} already exists; keygen never overwrites a key (pick another --out)` : `cannot create ${file} (${code ?? 'error'})`,
      );
    }
  }
  process.stdout.write(
    `wrote ${dir}/signing.pem (key id ${publicKeyId(privateKey)}), signing.pub.pem, encryption.key (key id ${masterKeyId(master)})\n`,
  );
  return 0;
}
