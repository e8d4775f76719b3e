/** The alignment direct I/O needs of a buffer's address, a file offset and a length (Linux, 4 KiB logical blocks). */
export const DIRECT_IO_ALIGN = 4096;

const WASM_PAGE = 64 * 1024;

/** The one WebAssembly API used here (the project's TypeScript libs do not declare WebAssembly). */
const Wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => { buffer: ArrayBuffer } } }).WebAssembly;

/**
 * A buffer of at least `size` bytes whose memory starts on a page boundary, so the local store can
 * hand it to `O_DIRECT` reads and writes (the kernel then moves the bytes by DMA, with no copy through
 * the page cache). Node has no aligned allocation and no way to learn a Buffer's address, and
 * `Buffer.allocUnsafeSlow` memory comes from malloc (16-byte aligned; an O_DIRECT write from it fails
 * with EINVAL). A WebAssembly.Memory is mapped by V8 page-aligned, so its ArrayBuffer is used instead.
 * Nothing relies on that blindly: a direct read or write that the kernel refuses falls back to
 * buffered I/O (local-store.ts), so an unaligned buffer costs speed, never correctness.
 * If V8 cannot map another wasm memory (its address-space reservation is large), a plain buffer is
 * returned.
 */
export function allocAligned(size: number): Buffer {
  const pages = Math.max(1, Math.ceil(size / WASM_PAGE));
  try {
    const mem = new Wasm.Memory({ initial: pages, maximum: pages });
    return Buffer.from(mem.buffer, 0, size);
  } catch {
    return Buffer.allocUnsafeSlow(size);
  }
}

/** True when `n` (an offset or a length) suits direct I/O. */
export function isDirectAligned(n: number): boolean {
  return n % DIRECT_IO_ALIGN === 0;
}
