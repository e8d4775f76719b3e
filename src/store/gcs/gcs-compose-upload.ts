import type { Bucket } from '@google-cloud/storage';
import type { Logger } from 'pino';
import { ErrorCode, SnapstreamError, throwIfAborted } from '../../errors.js';
import type { MultipartUpload, ObjectInfo, PutOptions, SignalOptions, UploadPart } from '../object-store.js';
import { objectInfoOf } from './object-info.js';

/** GCS composes at most 32 source objects per request. */
export const COMPOSE_FANIN = 32;
const COMPOSE_CONCURRENCY = 8;
/** Custom metadata on temporary part objects: which key and upload they belong to (for cleanupUploads). */
export const META_KEY = 'snapstream-key';
export const META_UPLOAD = 'snapstream-upload';

export interface ComposeUploadDeps {
  bucket: Bucket;
  where: string;
  log: Logger;
  /** Full (root-prefixed) name of the final object. */
  fullKey: string;
  /** Full name prefix of this upload's temporary objects, ending in "/". */
  tempPrefix: string;
  uploadId: string;
  mapError: (key: string, e: unknown) => SnapstreamError;
}

/**
 * Parallel upload for real GCS (option `parallelUpload`): every part is its own temporary object
 * (a single-request upload, so a retry simply overwrites it), and complete() concatenates them with
 * compose, 32 at a time in a tree, into the final object, then deletes the temporaries. The final key
 * appears only with the last compose. Temporaries live under `<root>/.snapstream-uploads/<id>/`,
 * hidden from list(); cleanupUploads() removes those of crashed agents.
 *
 * Not testable here: the firebase-tools emulator answers compose with 501. fake-gcs-server (Docker)
 * and real GCS implement it.
 */
export class GcsComposeUpload implements MultipartUpload {
  private readonly parts = new Map<number, number>();
  private finished = false;

  constructor(
    readonly key: string,
    private readonly d: ComposeUploadDeps,
    private readonly opts: PutOptions,
  ) {}

  private partName(n: number): string {
    return `${this.d.tempPrefix}p${String(n).padStart(6, '0')}`;
  }

  async uploadPart(part: UploadPart, opts: SignalOptions = {}): Promise<void> {
    if (this.finished) throw new SnapstreamError(ErrorCode.STORE_FAILED, `${this.d.where}: upload of ${this.key} is already finished`);
    throwIfAborted(opts.signal);
    try {
      // save() resolves after GCS answered, so the caller may reuse part.data afterwards.
      await this.d.bucket.file(this.partName(part.number)).save(part.data, {
        resumable: false,
        validation: 'crc32c',
        metadata: { contentType: 'application/octet-stream', metadata: { [META_KEY]: this.key, [META_UPLOAD]: this.d.uploadId } },
      });
    } catch (e) {
      throw this.d.mapError(this.key, e);
    }
    this.parts.set(part.number, part.data.length);
  }

  async complete(opts: SignalOptions = {}): Promise<ObjectInfo> {
    if (this.finished) throw new SnapstreamError(ErrorCode.STORE_FAILED, `${this.d.where}: upload of ${this.key} is already finished`);
    const n = this.parts.size;
    for (let i = 1; i <= n; i++) {
      if (!this.parts.has(i)) throw new SnapstreamError(ErrorCode.INTERNAL, `part ${i} of ${this.key} was never uploaded`);
    }
    const { bucket } = this.d;
    const dest = bucket.file(this.d.fullKey);
    const destination = {
      contentType: this.opts.contentType ?? 'application/octet-stream',
      ...(this.opts.metadata ? { metadata: this.opts.metadata } : {}),
    };
    try {
      if (n === 0) {
        await dest.save(Buffer.alloc(0), { resumable: false, metadata: destination });
      } else {
        let sources = Array.from({ length: n }, (_, i) => this.partName(i + 1));
        for (let level = 1; sources.length > COMPOSE_FANIN; level++) {
          throwIfAborted(opts.signal);
          const groups: { name: string; from: string[] }[] = [];
          for (let i = 0; i < sources.length; i += COMPOSE_FANIN) {
            groups.push({ name: `${this.d.tempPrefix}c${level}-${String(i / COMPOSE_FANIN).padStart(6, '0')}`, from: sources.slice(i, i + COMPOSE_FANIN) });
          }
          // 10,000 parts are 313 composes on the first level: a few at a time, not one by one.
          await inBatches(groups, COMPOSE_CONCURRENCY, (g) =>
            this.compose(g.from, g.name, { contentType: 'application/octet-stream', metadata: { [META_KEY]: this.key, [META_UPLOAD]: this.d.uploadId } }),
          );
          sources = groups.map((g) => g.name);
        }
        throwIfAborted(opts.signal);
        await this.compose(sources, this.d.fullKey, destination);
      }
      await dest.getMetadata();
    } catch (e) {
      const mapped = this.d.mapError(this.key, e);
      if (mapped.details.httpStatus === 501) {
        throw new SnapstreamError(
          ErrorCode.STORE_FAILED,
          `${mapped.message}: this server cannot compose objects, which parallelUpload needs; drop parallelUpload=true (real GCS and fake-gcs-server can compose)`,
          { cause: e, details: mapped.details },
        );
      }
      throw mapped;
    }
    this.finished = true;
    await this.removeTemporaries();
    return objectInfoOf(this.key, dest.metadata);
  }

  private async compose(sources: string[], destination: string, meta: Record<string, unknown>): Promise<void> {
    await this.d.bucket.file(destination).request({
      method: 'POST',
      uri: '/compose',
      json: { destination: meta, sourceObjects: sources.map((name) => ({ name })) },
    });
  }

  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.removeTemporaries();
  }

  private async removeTemporaries(): Promise<void> {
    try {
      await deleteUnder(this.d.bucket, this.d.tempPrefix);
    } catch (e) {
      // Best effort: cleanupUploads() removes what is left.
      this.d.log.warn({ err: e, key: this.key }, 'removing temporary parts of a GCS compose upload failed');
    }
  }
}

/**
 * Deletes every object under a prefix, 16 at a time. Returns how many it deleted. Lists the first
 * page again after each round instead of following page tokens: a token may be an offset (it is on
 * some servers), and deleting what the first page listed would make it skip objects.
 */
export async function deleteUnder(bucket: Bucket, prefix: string): Promise<number> {
  let removed = 0;
  let previousFirst: string | undefined;
  for (;;) {
    const [files] = await bucket.getFiles({ prefix, autoPaginate: false, maxResults: 1000 });
    if (files.length === 0) return removed;
    if (files[0]!.name === previousFirst) {
      throw new SnapstreamError(ErrorCode.STORE_FAILED, `deleting ${files[0]!.name} had no effect; objects under ${prefix} remain`, { retryable: true });
    }
    previousFirst = files[0]!.name;
    await inBatches(files, 16, (f) => f.delete({ ignoreNotFound: true }));
    removed += files.length;
  }
}

async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}
