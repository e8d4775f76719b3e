import xxhash, { type XXHashAPI } from 'xxhash-wasm';

/**
 * XXH64 (seed 0), streaming. The whole-stream digest equals `xxhsum -H1` of the stored object, so a
 * user can check a backup with stock tools. Kept behind this small interface so the implementation
 * can be swapped (e.g. a native addon) without touching the pipelines.
 */
export interface StreamHasher {
  update(data: Uint8Array): void;
  /** 16 lowercase hex digits. */
  digestHex(): string;
}

let api: Promise<XXHashAPI> | undefined;

/** Loads the WebAssembly module once per process. */
export async function loadHasher(): Promise<HasherFactory> {
  api ??= xxhash();
  const a = await api;
  return {
    create(): StreamHasher {
      const h = a.create64(0n);
      return {
        update: (d) => void h.update(d),
        digestHex: () => toHex(h.digest()),
      };
    },
    hashHex: (d) => toHex(a.h64Raw(d, 0n)),
  };
}

export interface HasherFactory {
  create(): StreamHasher;
  /** One-shot XXH64 of a buffer. */
  hashHex(data: Uint8Array): string;
}

function toHex(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}
