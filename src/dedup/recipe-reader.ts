import type { Manifest } from '../model/manifest.js';
import { type RecipeChunk, decodeRecipeChunk } from './recipe.js';
import { type SegmentCodec, storedSizeFor } from './segment-codec.js';
import type { SegmentStore } from './segment-store.js';

/** Fetches, authenticates (id check) and decodes recipe chunk `i` of a dedup manifest. */
export async function readRecipeChunk(segs: SegmentStore, codec: SegmentCodec, m: Manifest, i: number, signal?: AbortSignal): Promise<RecipeChunk> {
  const ref = m.dedup!.recipe[i]!;
  const what = `backup ${m.backup}: recipe chunk ${i + 1}/${m.dedup!.recipe.length}`;
  const stored = await segs.get(ref.id, ref.size, signal);
  return decodeRecipeChunk(codec.open(ref.id, stored, what), what);
}

/** Every id a dedup manifest references: its recipe chunks and their segments (GC's mark, verify). */
export async function referencedIds(segs: SegmentStore, codec: SegmentCodec, m: Manifest, into: Set<string>, signal?: AbortSignal): Promise<void> {
  for (let i = 0; i < m.dedup!.recipe.length; i++) {
    into.add(m.dedup!.recipe[i]!.id);
    for (const s of (await readRecipeChunk(segs, codec, m, i, signal)).segments) into.add(s.id);
  }
}

export { storedSizeFor };
