import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { type Bucket, type File, IdempotencyStrategy, Storage } from '@google-cloud/storage';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, abortedError, throwIfAborted } from '../../errors.js';
import type { GcsStoreConfig } from './gcs-config.js';
import { GcsComposeUpload, META_KEY, deleteUnder } from './gcs-compose-upload.js';
import { checkRangeResponse } from './check-range-response.js';
import { GcsResumableUpload } from './gcs-resumable-upload.js';
import { mapGcsError } from './map-gcs-error.js';
import { objectInfoOf } from './object-info.js';
import { joinKey, validateObjectKey } from '../object-key.js';
import type {
  GetOptions,
  MultipartUpload,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  CleanupUploadsOptions,
  SignalOptions,
  StoreLimits,
} from '../object-store.js';

const MiB = 1024 * 1024;
/** Folder (under the root) of the temporary part objects of parallel uploads; hidden from list(). */
export const GCS_UPLOADS_DIR = '.snapstream-uploads';

export interface GcsStoreOptions {
  /** Key prefix inside the bucket under which every key lives ("" = bucket root). */
  root: string;
  log: Logger;
  /** Page size for list (tests use a small one to exercise paging). */
  listPageSize?: number;
  /** A ready client (tests); default: one built from the config and the environment. */
  storage?: Storage;
  /** cfg.keyFile's JSON, already read through checkCredentialsFile (openStore does it). */
  credentials?: Record<string, unknown>;
  /**
   * STORAGE_EMULATOR_HOST as read at the edge (StoreEnv), for the label; the library itself reads
   * the variable when a client is built, so the two agree.
   */
  emulatorHost?: string;
}

/**
 * Google Cloud Storage through @google-cloud/storage 7 (the JSON API). Credentials come the standard
 * way: a key file path from the config, else Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS,
 * workload identity, the metadata server). STORAGE_EMULATOR_HOST is honoured by the library itself;
 * passing the emulator as `apiEndpoint` instead breaks setMetadata/copy there (501).
 *
 * Streaming uploads use one resumable upload per object, written strictly in order (see
 * GcsResumableUpload); with `parallelUpload`, parts become temporary objects composed at the end
 * (GcsComposeUpload), which only real GCS and fake-gcs-server support.
 */
export class GcsStore implements ObjectStore {
  readonly limits: StoreLimits;
  readonly storage: Storage;
  private readonly streamStorage: Storage;
  readonly bucket: Bucket;
  private readonly root: string;
  private readonly log: Logger;
  private readonly pageSize: number;
  private readonly parallel: boolean;
  private readonly where: string;

  constructor(cfg: GcsStoreConfig, opts: GcsStoreOptions) {
    this.root = joinKey(opts.root);
    this.log = opts.log;
    this.pageSize = opts.listPageSize ?? 1000;
    this.parallel = cfg.parallelUpload;
    if (cfg.keyFile && !opts.storage && !opts.credentials) {
      // The key file must be read through checkCredentialsFile (size-capped, regular file only);
      // handing the path to the library would let it read /dev/zero.
      throw new SnapstreamError(ErrorCode.INTERNAL, 'GcsStore: credentialsFile given without its checked contents; open the store through openStore()');
    }
    const clientOpts = {
      // keyFilename used to supply the key file's project_id; with parsed credentials we pass it.
      ...(cfg.projectId ? { projectId: cfg.projectId } : typeof opts.credentials?.project_id === 'string' ? { projectId: opts.credentials.project_id } : {}),
      ...(opts.credentials ? { credentials: opts.credentials as never } : {}),
    };
    // No library retries: the store's retry decorator is the only retry (src/store/decorators/),
    // so a request gets its policy's attempts, not those times the library's.
    this.storage = opts.storage ?? new Storage({ ...clientOpts, retryOptions: { autoRetry: false } });
    // Except inside a resumable stream: there only the library can resend (the slice it still holds
    // after a socket error), and a failure that escapes is final for the upload (not retryable), so
    // the decorator never repeats it and attempts do not multiply. The library retries only requests
    // it can prove idempotent (a generation precondition); a resumable session re-queries its offset,
    // so it is idempotent by construction.
    this.streamStorage =
      opts.storage ?? new Storage({ ...clientOpts, retryOptions: { idempotencyStrategy: IdempotencyStrategy.RetryAlways, maxRetries: 4, totalTimeout: 300 } });
    this.bucket = this.storage.bucket(cfg.bucket);
    const emulator = opts.emulatorHost;
    this.where = `gs://${cfg.bucket}${this.root ? `/${this.root}` : ''}${emulator ? ` (emulator ${redactHost(emulator)})` : ''}`;
    this.limits = this.parallel
      ? {
          // Each part is its own object, so any size works; 5 MiB keeps the number of compose calls
          // and temporary objects reasonable and matches S3, so plans behave alike.
          minPartSize: 5 * MiB,
          maxPartSize: 2 * 1024 * MiB,
          maxParts: 10_000,
          parallelParts: true,
        }
      : {
          // One streaming request: part size matters only for memory and for the manifest's hash
          // granularity. 256 KiB is GCS's resumable chunk granule, so any part size we accept would
          // also be valid for a chunked upload; the plan's 8 MiB default applies above it.
          minPartSize: 256 * 1024,
          // Part buffers live in memory (and Node 20 caps a Buffer at 4 GiB).
          maxPartSize: 2 * 1024 * MiB,
          // A resumable stream has no part limit; parts only exist in our manifest. With 8 MiB parts
          // doubling every 1,000 parts, 10,000 parts carry ~5.9 TiB, above GCS's 5 TiB object cap,
          // so more would only grow the manifest.
          maxParts: 10_000,
          parallelParts: false,
        };
  }

  describe(): string {
    return this.where;
  }

  private full(key: string): string {
    return joinKey(this.root, validateObjectKey(key));
  }

  private fullPrefix(prefix: string): string {
    return this.root ? `${this.root}/${prefix}` : prefix;
  }

  private rel(fullKey: string): string {
    return this.root ? fullKey.slice(this.root.length + 1) : fullKey;
  }

  private file(key: string): File {
    return this.bucket.file(this.full(key));
  }

  mapError(key: string, e: unknown): SnapstreamError {
    return mapGcsError(this.where, key, e);
  }

  private async call<T>(key: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    throwIfAborted(signal);
    try {
      return await fn();
    } catch (e) {
      throw this.mapError(key, e);
    }
  }

  async put(key: string, body: Buffer, opts: PutOptions = {}): Promise<void> {
    const f = this.file(key);
    // A single-request (multipart) upload: GCS swaps the object in atomically when it completes.
    await this.call(key, opts.signal, () =>
      f.save(body, {
        resumable: false,
        validation: 'crc32c',
        metadata: {
          contentType: opts.contentType ?? 'application/octet-stream',
          ...(opts.metadata ? { metadata: opts.metadata } : {}),
        },
      }),
    );
  }

  async createUpload(key: string, opts: PutOptions = {}): Promise<MultipartUpload> {
    const fullKey = this.full(key);
    throwIfAborted(opts.signal);
    if (this.parallel) {
      const uploadId = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
      return new GcsComposeUpload(
        key,
        {
          bucket: this.bucket,
          where: this.where,
          log: this.log,
          fullKey,
          tempPrefix: `${this.fullPrefix(GCS_UPLOADS_DIR)}/${uploadId}/`,
          uploadId,
          mapError: (k, e) => this.mapError(k, e),
        },
        opts,
      );
    }
    const f = this.streamStorage.bucket(this.bucket.name).file(fullKey);
    return new GcsResumableUpload(
      key,
      f,
      {
        where: this.where,
        log: this.log,
        deleteObject: async () => {
          await f.delete({ ignoreNotFound: true });
        },
        mapError: (e) => this.mapError(key, e),
      },
      opts,
    );
  }

  async get(key: string, opts: GetOptions = {}): Promise<Readable> {
    const r = opts.range;
    const f = this.file(key);
    throwIfAborted(opts.signal);
    if (r && r.length === 0) return Readable.from([]);
    // Whole-object reads check the stored crc32c; ranges cannot be checked by the library (the
    // manifest's per-part hashes cover them).
    const rs = r ? f.createReadStream({ start: r.offset, end: r.offset + r.length - 1, validation: false }) : f.createReadStream();
    const onAbort = () => rs.destroy(abortedError(opts.signal!));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    rs.once('close', () => opts.signal?.removeEventListener('abort', onAbort));
    // The request starts on first read; wait for its status so a missing object rejects here with
    // NOT_FOUND instead of surfacing later as a stream error.
    await new Promise<void>((resolve, reject) => {
      const onError = (e: unknown) => {
        rs.off('response', onResponse);
        reject(this.mapError(key, e));
      };
      const onResponse = (res: { statusCode?: number; headers?: Record<string, string | string[] | undefined> }) => {
        const status = res.statusCode ?? 0;
        if (status >= 300) return; // the library follows with an 'error'
        rs.off('error', onError);
        rs.off('response', onResponse);
        const problem = r ? checkRangeResponse(status, res.headers ?? {}, r) : undefined;
        if (problem) {
          const e = new SnapstreamError(ErrorCode.STORE_FAILED, `${this.where}: ${key}: the server ${problem}`, { details: { httpStatus: status } });
          rs.destroy(e);
          reject(e);
          return;
        }
        resolve();
      };
      rs.once('error', onError);
      rs.on('response', onResponse);
      rs.read(0);
    });
    return rs;
  }

  async head(key: string, opts: SignalOptions = {}): Promise<ObjectInfo | undefined> {
    const f = this.file(key);
    try {
      const [m] = await this.call(key, opts.signal, () => f.getMetadata());
      return objectInfoOf(key, m);
    } catch (e) {
      if (e instanceof SnapstreamError && e.code === ErrorCode.NOT_FOUND) return undefined;
      throw e;
    }
  }

  async *list(prefix: string, opts: SignalOptions = {}): AsyncIterable<ObjectInfo> {
    const full = this.fullPrefix(prefix);
    const hidden = `${this.fullPrefix(GCS_UPLOADS_DIR)}/`;
    let pageToken: string | undefined;
    do {
      const [files, next] = await this.call(prefix, opts.signal, () =>
        this.bucket.getFiles({ prefix: full, autoPaginate: false, maxResults: this.pageSize, pageToken }),
      );
      for (const f of files) {
        if (f.name.startsWith(hidden)) continue;
        yield objectInfoOf(this.rel(f.name), f.metadata);
      }
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
    } while (pageToken);
  }

  async delete(key: string, opts: SignalOptions = {}): Promise<void> {
    const f = this.file(key);
    await this.call(key, opts.signal, () => f.delete({ ignoreNotFound: true }));
  }

  /**
   * Resumable sessions cannot be listed, and cancelled only through their session URI, which only
   * the process that started them had (and which abort() uses); GCS discards an unfinished session
   * after a week and it never becomes an object, so there is nothing to find for them here. What
   * can leak are the temporary part objects of parallel uploads: those are removed per upload when
   * every one of them is older than `olderThan` and the upload's key starts with `prefix`.
   * Returns the number of uploads removed.
   */
  async cleanupUploads(prefix: string, olderThan: Date, opts: CleanupUploadsOptions = {}): Promise<number> {
    const dir = `${this.fullPrefix(GCS_UPLOADS_DIR)}/`;
    const uploads = new Map<string, { key: string; newest: number }>();
    let pageToken: string | undefined;
    do {
      const [files, next] = await this.call(prefix, opts.signal, () =>
        this.bucket.getFiles({ prefix: dir, autoPaginate: false, maxResults: 1000, pageToken }),
      );
      for (const f of files) {
        const id = f.name.slice(dir.length).split('/')[0] ?? '';
        const m = f.metadata;
        const key = String(m.metadata?.[META_KEY] ?? '');
        const created = Date.parse(m.timeCreated ?? '') || 0;
        const u = uploads.get(id) ?? { key, newest: 0 };
        u.newest = Math.max(u.newest, created);
        if (!u.key) u.key = key;
        uploads.set(id, u);
      }
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
    } while (pageToken);
    let removed = 0;
    for (const [id, u] of uploads) {
      throwIfAborted(opts.signal);
      if (id === '' || !u.key.startsWith(prefix) || u.newest >= olderThan.getTime()) continue;
      const kept = opts.keep?.(u.key) === true;
      const remove = !opts.dryRun && !kept;
      if (remove) {
        await this.call(u.key, opts.signal, () => deleteUnder(this.bucket, `${dir}${id}/`));
        removed++;
      }
      opts.onUpload?.({ key: u.key, started: new Date(u.newest), removed: remove, kept });
    }
    return removed;
  }

  async close(): Promise<void> {
    // The library keeps no open handles beyond the shared agent's idle sockets.
  }
}

function redactHost(u: string): string {
  try {
    const url = new URL(u.includes('://') ? u : `http://${u}`);
    return `${url.protocol}//${url.host}`;
  } catch {
    return '<invalid url>';
  }
}
