import { randomBytes } from 'node:crypto';
import { promises as fs, type Dirent } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError } from '../../errors.js';
import { FILE_MODE, OPEN_CREATE, OPEN_READ, checkDirChain, ensureDir, prepareRoot, syncDir } from './local-paths.js';
import { validateObjectKey } from '../object-key.js';
import { DEFAULT_WRITEBACK_BYTES } from './writeback-bytes.js';
import { openDirectTwin } from './direct-io.js';
import { DIRECT_IO_ALIGN, isDirectAligned } from '../../util/aligned-buffer.js';
import type {
  ByteRange,
  GetOptions,
  MultipartUpload,
  ObjectInfo,
  ObjectStore,
  CompleteOptions,
  PutOptions,
  CleanupUploadsOptions,
  ResumedUpload,
  SignalOptions,
  StoreLimits,
  UploadPart,
} from '../object-store.js';

/** Marks in-progress files; never listed, removed by cleanupUploads. */
const TEMP_MARK = '.snapstream-partial-';

/**
 * A local directory as the bucket: the embedded default, also right for NFS mounts. Writes are atomic:
 * bytes go to a hidden temp file in the same directory, which is fsynced and renamed over the key on
 * commit, so a crash never leaves a half-written object under a real key.
 * Object metadata is not stored (nothing in snapstream needs it: the manifest carries everything).
 */
export class LocalStore implements ObjectStore {
  readonly limits: StoreLimits = {
    minPartSize: 1,
    maxPartSize: 5 * 1024 ** 3,
    maxParts: 10_000,
    parallelParts: true,
  };
  readonly root: string;
  private readonly log: Logger | undefined;
  private ready: Promise<void> | undefined;

  private readonly writeback: number;
  private readonly directIo: boolean;

  /**
   * `writebackBytes`: early-writeback threshold (writeback-bytes.ts), given by the edge; 0 = off.
   * `directIo` (default true): part data is written and read with O_DIRECT where the filesystem and
   * the buffer allow it (direct-io.ts); false = always through the page cache.
   */
  constructor(root: string, opts: { log?: Logger; writebackBytes?: number; directIo?: boolean } = {}) {
    this.log = opts.log;
    this.writeback = opts.writebackBytes ?? DEFAULT_WRITEBACK_BYTES;
    this.directIo = opts.directIo ?? true;
    if (!path.isAbsolute(root)) {
      throw new SnapstreamError(ErrorCode.INVALID_LOCATION, `local store path ${JSON.stringify(root)} must be absolute`);
    }
    this.root = path.resolve(root);
  }

  /** The root, made 0700 if missing (see local-paths.ts for the no-symlink rules). Once per store. */
  private prepared(): Promise<void> {
    this.ready ??= prepareRoot(this.root, (msg) => this.log?.warn(msg));
    return this.ready;
  }

  describe(): string {
    return `file://${this.root}`;
  }

  private pathOf(key: string): string {
    validateObjectKey(key);
    const p = path.join(this.root, key);
    // validateObjectKey already refuses "..", this is the belt to its braces.
    if (!p.startsWith(this.root + path.sep)) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `key ${key} escapes the store root`);
    return p;
  }

  private tempPathFor(p: string): string {
    return path.join(path.dirname(p), `.${path.basename(p).slice(0, 100)}${TEMP_MARK}${randomBytes(6).toString('hex')}`);
  }

  async put(key: string, body: Buffer, opts: PutOptions = {}): Promise<void> {
    const p = this.pathOf(key);
    await wrap(key, async () => {
      await this.prepared();
      await ensureDir(this.root, path.dirname(p));
      const tmp = this.tempPathFor(p);
      try {
        const h = await fs.open(tmp, OPEN_CREATE, FILE_MODE);
        try {
          await h.writeFile(body, { signal: opts.signal });
          await h.sync();
        } finally {
          await h.close();
        }
        await fs.rename(tmp, p);
      } catch (e) {
        await fs.rm(tmp, { force: true });
        throw e;
      }
      await syncDir(path.dirname(p));
    });
  }

  async createUpload(key: string): Promise<MultipartUpload> {
    const p = this.pathOf(key);
    return wrap(key, async () => {
      await this.prepared();
      await ensureDir(this.root, path.dirname(p));
      const tmp = this.tempPathFor(p);
      const handle = await fs.open(tmp, OPEN_CREATE, FILE_MODE);
      const direct = this.directIo ? await openDirectTwin(handle, 'write') : undefined;
      return new LocalUpload(key, p, tmp, handle, this.writeback, direct);
    });
  }

  /**
   * Reopens the temp file an earlier upload of `key` left (the handle is its file name, as
   * LocalUpload.handle reported). Only a name of exactly the form this store makes for `key` is
   * accepted: the handle comes from a progress record in the store, and must never name another file.
   */
  async resumeUpload(key: string, handle: string): Promise<ResumedUpload | undefined> {
    const p = this.pathOf(key);
    const expected = `.${path.basename(p).slice(0, 100)}${TEMP_MARK}`;
    if (!handle.startsWith(expected) || !/^[0-9a-f]{12}$/.test(handle.slice(expected.length))) return undefined;
    const tmp = path.join(path.dirname(p), handle);
    return wrap(key, async () => {
      let h: fs.FileHandle;
      try {
        h = await fs.open(tmp, 'r+');
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
      const st = await h.stat();
      if (!st.isFile()) {
        await h.close();
        return undefined;
      }
      const direct = this.directIo ? await openDirectTwin(h, 'write') : undefined;
      return { upload: new LocalUpload(key, p, tmp, h, this.writeback, direct), writtenBytes: st.size };
    });
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const p = this.pathOf(key);
    return wrap(key, async () => {
      await checkDirChain(this.root, path.dirname(p), false);
      const h = await fs.open(p, OPEN_READ);
      const r = opts.range;
      if (r && r.length === 0) {
        await h.close();
        const { Readable } = await import('node:stream');
        return Readable.from([]);
      }
      const stream = h.createReadStream({
        start: r?.offset ?? 0,
        end: r ? r.offset + r.length - 1 : undefined,
        highWaterMark: 1024 * 1024,
        signal: opts.signal,
      } as Parameters<typeof h.createReadStream>[0]);
      return stream;
    });
  }

  /**
   * Ranged read straight into `into` (pread into the part buffer: no stream, no 1 MiB chunk copies).
   * The page-aligned head of the range is read with O_DIRECT when it can be (no copy out of the page
   * cache, and a restore does not fill the cache with a whole volume); the rest, or all of it when the
   * kernel refuses, through the page cache.
   */
  async getInto(key: string, range: ByteRange, into: Buffer, opts: SignalOptions = {}): Promise<number> {
    const p = this.pathOf(key);
    if (into.length < range.length) throw new SnapstreamError(ErrorCode.INTERNAL, `getInto: buffer of ${into.length} bytes for a range of ${range.length}`);
    return wrap(key, async () => {
      if (opts.signal?.aborted) throw new SnapstreamError(ErrorCode.ABORTED, `read of ${key} was aborted`);
      await checkDirChain(this.root, path.dirname(p), false);
      const h = await fs.open(p, OPEN_READ);
      const direct = this.directIo && isDirectAligned(range.offset) && range.length >= DIRECT_IO_ALIGN ? await openDirectTwin(h, 'read') : undefined;
      try {
        let got = direct ? await readDirectHead(direct, into, range, opts.signal, key) : 0;
        while (got < range.length) {
          if (opts.signal?.aborted) throw new SnapstreamError(ErrorCode.ABORTED, `read of ${key} was aborted`);
          const { bytesRead } = await h.read(into, got, range.length - got, range.offset + got);
          if (bytesRead === 0) break; // the object ends here
          got += bytesRead;
        }
        return got;
      } finally {
        await direct?.close().catch(() => {});
        await h.close();
      }
    });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const p = this.pathOf(key);
    try {
      await checkDirChain(this.root, path.dirname(p), false);
      const st = await fs.lstat(p);
      if (!st.isFile()) return undefined;
      return { key, size: st.size, lastModified: st.mtime };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw storeError(key, e);
    }
  }

  async *list(prefix: string, opts: SignalOptions = {}): AsyncIterable<ObjectInfo> {
    // Start the walk at the deepest directory the prefix names, not at the root.
    const slash = prefix.lastIndexOf('/');
    const dirKey = slash >= 0 ? prefix.slice(0, slash) : '';
    if (dirKey !== '') validateObjectKey(dirKey, 'list prefix');
    await wrap(dirKey, () => checkDirChain(this.root, path.join(this.root, dirKey), false));
    yield* this.walk(dirKey, prefix, opts.signal);
  }

  private async *walk(dirKey: string, prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(path.join(this.root, dirKey), { withFileTypes: true });
    } catch (e) {
      if (isNotFound(e) || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
      throw storeError(dirKey, e);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      if (signal?.aborted) throw new SnapstreamError(ErrorCode.ABORTED, 'list aborted');
      if (ent.name.includes(TEMP_MARK)) continue;
      const key = dirKey ? `${dirKey}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        if (prefix.startsWith(key + '/') || (key + '/').startsWith(prefix) || key.startsWith(prefix)) {
          yield* this.walk(key, prefix, signal);
        }
      } else if (ent.isFile() && key.startsWith(prefix)) {
        const st = await fs.stat(path.join(this.root, key)).catch(() => undefined);
        if (st) yield { key, size: st.size, lastModified: st.mtime };
      }
    }
  }

  async delete(key: string): Promise<void> {
    const p = this.pathOf(key);
    await wrap(key, async () => {
      await checkDirChain(this.root, path.dirname(p), false);
      await fs.rm(p, { force: true });
      await this.pruneEmptyDirs(path.dirname(p));
    });
  }

  private async pruneEmptyDirs(dir: string): Promise<void> {
    while (dir.startsWith(this.root + path.sep)) {
      try {
        await fs.rmdir(dir);
      } catch {
        return; // not empty (or gone): stop climbing
      }
      dir = path.dirname(dir);
    }
  }

  async cleanupUploads(prefix: string, olderThan: Date, opts: CleanupUploadsOptions = {}): Promise<number> {
    let removed = 0;
    const visit = async (dirKey: string): Promise<void> => {
      let entries: Dirent[];
      try {
        entries = await fs.readdir(path.join(this.root, dirKey), { withFileTypes: true });
      } catch {
        return;
      }
      for (const ent of entries) {
        if (opts.signal?.aborted) return;
        const key = dirKey ? `${dirKey}/${ent.name}` : ent.name;
        const full = path.join(this.root, key);
        if (ent.isDirectory()) await visit(key);
        else if (ent.name.includes(TEMP_MARK) && key.startsWith(prefix.replace(/[^/]*$/, ''))) {
          const st = await fs.stat(full).catch(() => undefined);
          if (st && st.mtime < olderThan) {
            const at = ent.name.indexOf(TEMP_MARK);
            // ".<name>.snapstream-partial-<hex>" is the temp file of <dir>/<name>.
            const objectKey = `${dirKey ? `${dirKey}/` : ''}${ent.name.slice(1, at)}`;
            const kept = opts.keep?.(objectKey) === true;
            const remove = !opts.dryRun && !kept;
            if (remove) {
              await fs.rm(full, { force: true });
              removed++;
            }
            opts.onUpload?.({ key: key, started: st.mtime, removed: remove, kept });
          }
        }
      }
    };
    await visit('');
    return removed;
  }

  async close(): Promise<void> {}
}

class LocalUpload implements MultipartUpload {
  private done = false;
  private unflushed = 0;
  private flushing: Promise<void> | undefined;
  /** A background flush's failure, reported by complete() (an fsync error must never be lost). */
  private flushError: unknown;

  /** Set once the kernel refused a direct write: the rest of this upload goes through the page cache. */
  private directRefused = false;

  constructor(
    readonly key: string,
    private readonly finalPath: string,
    private readonly tmpPath: string,
    private readonly file: fs.FileHandle,
    private readonly writeback: number,
    /** An O_DIRECT handle on the same file (direct-io.ts), or undefined where the filesystem refuses one. */
    private readonly direct: fs.FileHandle | undefined,
  ) {}

  get handle(): string {
    return path.basename(this.tmpPath);
  }

  /** Parts written with pwrite sit in the page cache until synced; a progress record may name them only after. */
  async checkpoint(): Promise<void> {
    if (this.done) return;
    await wrap(this.key, async () => {
      await this.flushing;
      if (this.flushError) throw this.flushError;
      // fdatasync: the bytes and the size needed to read them back (not the mtime, which an fsync
      // would add, a journal commit each time). It is also a writeback flush: everything written so
      // far is on disk, so the early-writeback count starts again (one flush, not two, per checkpoint).
      this.unflushed = 0;
      await this.file.datasync();
    });
  }

  async uploadPart(part: UploadPart): Promise<void> {
    if (this.done) throw new SnapstreamError(ErrorCode.STORE_FAILED, `upload of ${this.key} is already finished`);
    const data = part.data;
    let direct = 0;
    await wrap(this.key, async () => {
      // The page-aligned head by DMA (no copy into the page cache, nothing left to flush, and a
      // backup does not evict the node's working set); the rest (the stream's short last part, or a
      // part whose buffer the kernel refused) through the page cache.
      if (this.direct && !this.directRefused && isDirectAligned(part.offset)) {
        direct = await this.writeDirectHead(this.direct, data, part.offset);
      }
      let written = direct;
      while (written < data.length) {
        const { bytesWritten } = await this.file.write(data, written, data.length - written, part.offset + written);
        written += bytesWritten;
      }
    });
    this.unflushed += data.length - direct;
    if (this.writeback > 0 && this.unflushed >= this.writeback && !this.flushing) {
      this.unflushed = 0;
      this.flushing = this.file
        .datasync()
        .catch((e) => {
          this.flushError ??= e;
        })
        .finally(() => {
          this.flushing = undefined;
        });
    }
  }

  /** Writes what of `data` is a whole number of 4 KiB blocks with O_DIRECT; returns the bytes written (0 when refused). */
  private async writeDirectHead(direct: fs.FileHandle, data: Buffer, offset: number): Promise<number> {
    const head = data.length - (data.length % DIRECT_IO_ALIGN);
    let written = 0;
    try {
      while (written < head) {
        const { bytesWritten } = await direct.write(data, written, head - written, offset + written);
        written += bytesWritten;
        // A short direct write that ends off a block boundary: the page cache takes the rest.
        if (bytesWritten === 0 || !isDirectAligned(written)) break;
      }
    } catch (e) {
      // EINVAL: the buffer's memory is not page-aligned (allocAligned fell back, or an encrypted part
      // sealed into a buffer of its own) or the filesystem wants another alignment. Nothing was written
      // by the refused call; everything else of this upload goes through the page cache.
      if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
      this.directRefused = true;
    }
    return written;
  }

  private async closeDirect(): Promise<void> {
    await this.direct?.close().catch(() => {});
  }

  async complete(opts: CompleteOptions = {}): Promise<ObjectInfo> {
    return wrap(this.key, async () => {
      await this.flushing;
      if (this.flushError) throw this.flushError;
      // A resumed temp file may hold bytes past this stream's end.
      if (opts.size !== undefined) await this.file.truncate(opts.size);
      // fsync of either handle flushes the file (it is one inode), direct writes and the disk's cache included.
      await this.file.sync();
      await this.closeDirect();
      await this.file.close();
      this.done = true;
      await fs.rename(this.tmpPath, this.finalPath);
      await syncDir(path.dirname(this.finalPath));
      const st = await fs.stat(this.finalPath);
      return { key: this.key, size: st.size, lastModified: st.mtime };
    });
  }

  async suspend(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.flushing;
    await this.closeDirect();
    await this.file.close().catch(() => {});
  }

  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.flushing;
      await this.closeDirect();
      await this.file.close().catch(() => {});
    }
    await fs.rm(this.tmpPath, { force: true }).catch(() => {});
  }
}

/**
 * Reads the block-aligned head of `range` into `into` with O_DIRECT; returns the bytes read, which the
 * caller completes through the page cache (a range's unaligned tail, or all of it when refused).
 */
async function readDirectHead(direct: fs.FileHandle, into: Buffer, range: ByteRange, signal: AbortSignal | undefined, key: string): Promise<number> {
  const head = range.length - (range.length % DIRECT_IO_ALIGN);
  let got = 0;
  try {
    while (got < head) {
      if (signal?.aborted) throw new SnapstreamError(ErrorCode.ABORTED, `read of ${key} was aborted`);
      const { bytesRead } = await direct.read(into, got, head - got, range.offset + got);
      got += bytesRead;
      // End of the object, or a short read off a block boundary: the buffered loop goes on from here.
      if (bytesRead === 0 || !isDirectAligned(got)) break;
    }
  } catch (e) {
    // EINVAL: an unaligned buffer or a filesystem that wants another alignment; nothing was read by it.
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
  }
  return got;
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException)?.code === 'ENOENT';
}

function storeError(key: string, e: unknown): SnapstreamError {
  if (e instanceof SnapstreamError) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new SnapstreamError(ErrorCode.NOT_FOUND, `object ${key} not found`, { cause: e });
  if (code === 'ABORT_ERR') return new SnapstreamError(ErrorCode.ABORTED, `operation on ${key} was aborted`, { cause: e });
  const retryable = code === 'EAGAIN' || code === 'EBUSY' || code === 'EINTR';
  return new SnapstreamError(ErrorCode.STORE_FAILED, `local store: ${key}: ${(e as Error).message}`, { cause: e, retryable });
}

async function wrap<T>(key: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw storeError(key, e);
  }
}
