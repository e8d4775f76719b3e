import { ErrorCode, SnapstreamError } from '../errors.js';
import type { MultipartUpload } from '../store/object-store.js';
import type { HasherFactory, StreamHasher } from '../model/hasher.js';
import {
  MANIFEST_VERSION,
  MANIFEST_VERSION_KEYED,
  type Manifest,
  type ManifestEncryption,
  type ManifestPart,
  PART_TAG_BYTES,
  serializeManifest,
} from '../model/manifest.js';
import type { Keyring } from './keyring.js';
import { PartCipher } from './part-cipher.js';
import { sha256Hasher } from './sha256-hasher.js';
import { signManifestBytes } from './signed-manifest.js';

/**
 * What a key changes in a backup, behind one small interface runBackup calls: which hasher the
 * pipeline uses, how parts are stored (sealed when encrypting), and how the manifest is written
 * (signed when a signing key is set). Without keys it changes nothing: XXH64, version 1, as before.
 */
export interface BackupKeying {
  /** Hasher for the pipeline's part and stream digests (a no-op when the sealed parts are hashed here). */
  readonly hasher: HasherFactory;
  readonly version: Manifest['version'];
  readonly hash: Manifest['hash'];
  /** The upload the pipeline writes to: the store's own, or one that encrypts each part on its way. */
  wrap(upload: MultipartUpload): MultipartUpload;
  /** The manifest's parts and digests once the pipeline finished, and the stored object's size. */
  finish(r: { parts: ManifestPart[]; streamHash: string; size: number }): {
    parts: ManifestPart[];
    streamHash: string;
    storedSize: number;
    encryption?: ManifestEncryption;
  };
  /** The manifest's stored bytes. */
  serialize(m: Manifest): Buffer;
}

export function backupKeying(keys: Keyring | undefined, objectKey: string, plainHasher: HasherFactory): BackupKeying {
  const signer = keys?.signer;
  const master = keys?.master;
  const serialize = (m: Manifest) => (signer ? signManifestBytes(serializeManifest(m), signer) : serializeManifest(m));
  if (!signer && !master) {
    return { hasher: plainHasher, version: MANIFEST_VERSION, hash: 'xxh64', wrap: (u) => u, finish: (r) => ({ ...r, storedSize: r.size }), serialize };
  }
  if (!master) {
    return { hasher: sha256Hasher, version: MANIFEST_VERSION_KEYED, hash: 'sha256', wrap: (u) => u, finish: (r) => ({ ...r, storedSize: r.size }), serialize };
  }
  const { cipher, encryption } = PartCipher.create(master, objectKey);
  const sealed = new Map<number, { sha256: string; storedOffset: number; storedSize: number }>();
  const whole: StreamHasher = sha256Hasher.create();
  let nextHashed = 1;
  return {
    // The pipeline's own digests would be of plaintext: the sealed bytes are hashed below instead.
    hasher: NO_HASH,
    version: MANIFEST_VERSION_KEYED,
    hash: 'sha256',
    wrap: (upload) => ({
      key: upload.key,
      uploadPart(part, opts) {
        const data = cipher.seal(part.number, part.data);
        const storedOffset = part.offset + (part.number - 1) * PART_TAG_BYTES;
        // Parts are first handed over in order (the pipeline dispatches them one by one); a later call
        // for the same number is a retry of identical bytes (sealing is deterministic).
        if (part.number === nextHashed) {
          whole.update(data);
          sealed.set(part.number, { sha256: sha256Hasher.hashHex(data), storedOffset, storedSize: data.length });
          nextHashed++;
        } else if (part.number > nextHashed) {
          throw new SnapstreamError(ErrorCode.INTERNAL, `part ${part.number} was handed over before part ${nextHashed}`);
        }
        // The manifest's SHA-256 of the sealed bytes doubles as the request's signed payload hash.
        return upload.uploadPart({ number: part.number, offset: storedOffset, data, sha256: sealed.get(part.number)?.sha256 }, opts);
      },
      complete: (opts) => upload.complete(opts),
      abort: () => upload.abort(),
    }),
    finish(r) {
      const parts = r.parts.map((p): ManifestPart => {
        const s = sealed.get(p.n);
        if (!s) throw new SnapstreamError(ErrorCode.INTERNAL, `part ${p.n} was never sealed`);
        return { n: p.n, offset: p.offset, size: p.size, sha256: s.sha256, storedOffset: s.storedOffset, storedSize: s.storedSize };
      });
      const storedSize = r.size + parts.length * PART_TAG_BYTES;
      return { parts, streamHash: whole.digestHex(), storedSize, encryption: { ...encryption, storedSize } };
    },
    serialize,
  };
}

const NO_HASH: HasherFactory = {
  create: () => ({ update: () => {}, digestHex: () => '' }),
  hashHex: () => '',
};
