/**
 * The `dedup` block of a manifest (issue 15): a backup stored as content-addressed segments plus a
 * per-backup recipe instead of one stream object. Kept in its own file so the manifest parser only
 * calls into it. The manifest stays the commit point: it names the recipe chunks by their ids (and
 * is signed with them when a signing key is set); the recipe chunks name the segments.
 */
export interface ManifestDedup {
  /** Layout version of recipe chunks and segments. */
  version: 1;
  /**
   * How ids are made: "sha256" (id = SHA-256 of the segment, stored as is) or "hmac-aes" (id =
   * HMAC-SHA256 under a key derived from the encryption key, stored AES-256-GCM encrypted).
   */
  codec: 'sha256' | 'hmac-aes';
  /** The encryption key's id (codec "hmac-aes" only). */
  keyId?: string;
  /** The recipe's chunks in stream order: id, stored bytes. */
  recipe: Array<{ id: string; size: number }>;
  /** Segments the recipe references (with repeats), and their payload bytes. */
  segments: number;
  segmentBytes: number;
  /** Stored bytes this backup added to the location (new segments + its recipe), and new segments. */
  addedBytes: number;
  addedSegments: number;
}

export const DEDUP_MAX_RECIPE_CHUNKS = 20_000;
const HEX64 = /^[0-9a-f]{64}$/;

/** Validates an untrusted `dedup` value; `bad` throws MANIFEST_INVALID naming the field. */
export function parseManifestDedup(v: unknown, bad: (why: string) => never): ManifestDedup {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad('"dedup" must be an object');
  const o = v as Record<string, unknown>;
  if (o.version !== 1) bad(`"dedup.version" is ${JSON.stringify(o.version)}; this snapstream reads version 1 (upgrade snapstream)`);
  if (o.codec !== 'sha256' && o.codec !== 'hmac-aes') bad('"dedup.codec" must be "sha256" or "hmac-aes"');
  const count = (k: string): number => {
    const n = o[k];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return bad(`"dedup.${k}" must be a non-negative integer`);
    return n;
  };
  let keyId: string | undefined;
  if (o.codec === 'hmac-aes') {
    if (typeof o.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(o.keyId)) bad('"dedup.keyId" must be 16 lowercase hex digits');
    keyId = o.keyId as string;
  }
  if (!Array.isArray(o.recipe) || o.recipe.length === 0) return bad('"dedup.recipe" must be a non-empty array');
  if (o.recipe.length > DEDUP_MAX_RECIPE_CHUNKS) bad(`"dedup.recipe" has more than ${DEDUP_MAX_RECIPE_CHUNKS} chunks`);
  const recipe = o.recipe.map((r: unknown, i: number) => {
    const e = r as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null) return bad(`dedup.recipe[${i}] must be an object`);
    if (typeof e.id !== 'string' || !HEX64.test(e.id)) return bad(`dedup.recipe[${i}].id must be 64 lowercase hex digits`);
    if (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size <= 0 || e.size > 64 * 1024 * 1024) {
      return bad(`dedup.recipe[${i}].size must be between 1 and 64 MiB`);
    }
    return { id: e.id, size: e.size };
  });
  return {
    version: 1,
    codec: o.codec as ManifestDedup['codec'],
    ...(keyId ? { keyId } : {}),
    recipe,
    segments: count('segments'),
    segmentBytes: count('segmentBytes'),
    addedBytes: count('addedBytes'),
    addedSegments: count('addedSegments'),
  };
}
