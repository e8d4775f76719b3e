/**
 * XXH64 (seed 0), streaming. The whole-stream digest equals `xxhsum -H1` of the stored object, so a
 * user can check a backup with stock tools. Kept behind this small interface so the implementation
 * can be swapped without touching the pipelines.
 */
export interface StreamHasher {
  update(data: Uint8Array): void;
  /** 16 lowercase hex digits. */
  digestHex(): string;
}

export interface HasherFactory {
  create(): StreamHasher;
  /** One-shot digest of a buffer. */
  hashHex(data: Uint8Array): string;
  /** Which implementation runs (logged; native-bench reports it). */
  readonly impl?: 'native' | 'wasm' | 'node:crypto';
  /** The manifest's `hash`: which digest this is (undefined = xxh64). See src/keys/sha256-hasher.ts. */
  readonly algorithm?: 'xxh64' | 'sha256';
}

let factory: Promise<HasherFactory> | undefined;

/**
 * Loads the hasher once per process: the native addon (@node-rs/xxhash) where it has a build for this
 * platform, else xxhash-wasm. Every byte is hashed twice (whole stream and its part), so this is on
 * the hot path: the addon hashes the caller's memory in place (~20 GB/s), the WebAssembly one first
 * copies each buffer into its own memory (~11 GB/s with the copy).
 */
export function loadHasher(): Promise<HasherFactory> {
  factory ??= loadNative().catch(() => loadWasm());
  return factory;
}

type Xxh64Ctor = new (seed?: bigint) => { update(d: Uint8Array): unknown; digest(): bigint };

async function loadNative(): Promise<HasherFactory> {
  const mod = (await import('@node-rs/xxhash')) as unknown as { Xxh64?: Xxh64Ctor; default?: { Xxh64?: Xxh64Ctor } };
  const Xxh64 = mod.Xxh64 ?? mod.default?.Xxh64;
  if (!Xxh64) throw new Error('@node-rs/xxhash has no Xxh64');
  // Streaming one-shot: the addon's own one-shot function is far slower on large buffers.
  const oneShot = (d: Uint8Array) => {
    const h = new Xxh64(0n);
    h.update(d);
    return toHex(h.digest());
  };
  if (oneShot(new TextEncoder().encode('abc')) !== '44bc2cf5ad770999') throw new Error('@node-rs/xxhash gives a wrong XXH64');
  return {
    impl: 'native',
    create(): StreamHasher {
      const h = new Xxh64(0n);
      return { update: (d) => void h.update(d), digestHex: () => toHex(h.digest()) };
    },
    hashHex: oneShot,
  };
}

async function loadWasm(): Promise<HasherFactory> {
  // Imported only where the native addon is missing: the fallback need not load with every run.
  const { default: xxhash } = await import('xxhash-wasm');
  const a = await xxhash();
  return {
    impl: 'wasm',
    create(): StreamHasher {
      const h = a.create64(0n);
      return { update: (d) => void h.update(d), digestHex: () => toHex(h.digest()) };
    },
    hashHex: (d) => toHex(a.h64Raw(d, 0n)),
  };
}

function toHex(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}
