import type { Readable } from 'node:stream';
import { ErrorCode, SnapstreamError, abortedError } from '../../errors.js';
import type { ByteRange, ObjectStore, SignalOptions } from '../object-store.js';

/**
 * getInto for a store that has only `get`: a ranged get read into `into`. A body that ends early
 * (closed before its end, an error) is a retryable STORE_FAILED, not a short count: a short count
 * means the object ends there, which the caller judges (the restore reports TRUNCATED).
 */
export async function readRangeInto(store: ObjectStore, key: string, range: ByteRange, into: Buffer, opts: SignalOptions = {}): Promise<number> {
  if (into.length < range.length) throw new SnapstreamError(ErrorCode.INTERNAL, `getInto: buffer of ${into.length} bytes for a range of ${range.length}`);
  const body = await store.get(key, { range, ...(opts.signal ? { signal: opts.signal } : {}) });
  return drain(body, into.subarray(0, range.length), key, opts.signal);
}

function drain(stream: Readable, buf: Buffer, key: string, signal?: AbortSignal): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let pos = 0;
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      if (err !== undefined) reject(err);
      else resolve(pos);
    };
    const onData = (chunk: Buffer) => {
      if (pos + chunk.length > buf.length) {
        finish(new SnapstreamError(ErrorCode.STORE_FAILED, `${key}: the store returned more bytes than the requested range (${buf.length})`));
        return;
      }
      buf.set(chunk, pos);
      pos += chunk.length;
    };
    const onEnd = () => finish();
    const broken = (why: string, cause?: unknown) =>
      new SnapstreamError(ErrorCode.STORE_FAILED, `${key}: the ranged read broke after ${pos} bytes (${why})`, { retryable: true, cause });
    const onError = (e: unknown) => finish(e instanceof SnapstreamError ? e : broken((e as Error).message ?? String(e), e));
    const onClose = () => finish(broken('closed before its end'));
    const onAbort = () => finish(abortedError(signal!));
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.once('close', onClose);
  });
}
