import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, SnapstreamError } from '../../src/errors.js';
import type { ObjectInfo, ObjectStore, PutOptions } from '../../src/store/object-store.js';
import { startCuttingProxy } from '../helpers/cutting-proxy.js';

/**
 * The ObjectStore contract, run against every store and server (restic's one-suite-for-all-backends).
 * Each entry file calls runObjectStoreContract with a factory for a store rooted at a fresh prefix.
 * A server that lacks a feature names it in `unsupported` with the reason: the test then shows up as
 * skipped with "[unsupported: reason]" in its name, never as a silent pass.
 */
export type ContractFeature =
  /** Custom string metadata stored with objects and returned by head(). */
  | 'metadata'
  /** Parts may be uploaded concurrently and out of order (limits.parallelParts). */
  | 'parallelParts'
  /** Completing an upload of several parts (S3 multipart, GCS resumable or compose). */
  | 'multipartComplete'
  /** cleanupUploads() finds and removes unfinished uploads. */
  | 'cleanupUploads'
  /** A store pointed at a dead endpoint fails STORE_FAILED retryable (needs `unreachable`). */
  | 'unreachableIsRetryable'
  /** Wrong credentials fail STORE_FAILED, not retryable (needs `denied`). */
  | 'deniedIsPermanent'
  /** Requests survive a cut connection: retried, or failed cleanly (needs `throughProxy`). */
  | 'cutConnections'
  /** A streaming upload whose connection is cut leaves nothing under its key once it failed and was aborted. */
  | 'cleanFailureAfterCut'
  /** resumeUpload() reopens an unfinished upload by its handle (resumable backups). */
  | 'resumeUpload';

export interface ContractTarget {
  /** A store rooted at a prefix no other run uses. */
  store: ObjectStore;
  /** The page size the store lists with; the paging test creates more than two pages. */
  listPageSize: number;
  /** A second store of the same kind pointed at an endpoint nothing listens on (no client retries). */
  unreachable?: () => ObjectStore;
  /** A second store of the same kind with wrong credentials. */
  denied?: () => ObjectStore;
  /** A second store of the same kind (same bucket and root) that sends its requests to `url`. */
  throughProxy?: (url: string) => ObjectStore;
  /** host:port of the server, for a proxy in front of it. */
  server?: { host: string; port: number };
  /** Extra teardown (bucket removal, temp dirs) after every object was deleted. */
  dispose?: () => Promise<void>;
}

export interface ContractOptions {
  /** Features this server lacks, each with the reason shown in the test name. */
  unsupported?: Partial<Record<ContractFeature, string>>;
  /** Skip the whole suite (no server / no Docker engine here), with the reason in the suite name. */
  skip?: string;
  /** Per-test timeout in ms (slow servers). */
  timeout?: number;
  /**
   * What a ranged get that starts past the end does: 'rejects' (HTTP 416, a permanent STORE_FAILED;
   * the default, S3 and GCS) or 'short' (no bytes, the local directory). Either way the restore sees
   * fewer bytes than the manifest promised and reports TRUNCATED; what must never happen is a
   * retryable error or wrong bytes.
   */
  rangePastEnd?: 'rejects' | 'short';
}

const KiB = 1024;

export function runObjectStoreContract(name: string, factory: () => Promise<ContractTarget>, options: ContractOptions = {}): void {
  const unsupported = options.unsupported ?? {};
  const title = options.skip ? `${name} [skipped: ${options.skip}]` : name;
  const timeout = options.timeout ?? 60_000;

  describe.skipIf(options.skip !== undefined)(title, { timeout }, () => {
    let t: ContractTarget;
    let store: ObjectStore;

    /** A test that needs `feature`: skipped with the reason in its name where the server lacks it. */
    const itNeeds = (features: ContractFeature | ContractFeature[], testName: string, fn: () => Promise<void>) => {
      const reasons = [features].flat().flatMap((f) => (unsupported[f] === undefined ? [] : [unsupported[f]]));
      if (reasons.length > 0) it.skip(`${testName} [unsupported: ${reasons.join('; ')}]`, fn);
      else it(testName, fn);
    };

    beforeAll(async () => {
      t = await factory();
      store = t.store;
    }, 120_000);

    afterAll(async () => {
      if (!t) return;
      try {
        for await (const o of t.store.list('')) await t.store.delete(o.key);
        await t.store.cleanupUploads('', new Date(Date.now() + 3_600_000)).catch(() => 0);
      } finally {
        await t.store.close();
        await t.dispose?.();
      }
    }, 120_000);

    // ---------------------------------------------------------------- put / get / head

    it('put then get returns the same bytes', async () => {
      const body = randomBytes(100 * KiB + 17);
      await store.put('rt/obj.bin', body);
      expectBytes(await readAll(await store.get('rt/obj.bin')), body);
    });

    itNeeds('metadata', 'head returns size, lastModified and custom metadata', async () => {
      const body = randomBytes(4321);
      const before = Date.now();
      await store.put('meta/obj', body, { contentType: 'application/json', metadata: { 'snapstream-hash': 'abc123', volume: 'pvc-1' } });
      const info = await store.head('meta/obj');
      expect(info).toBeDefined();
      expect(info!.key).toBe('meta/obj');
      expect(info!.size).toBe(4321);
      expect(info!.metadata).toMatchObject({ 'snapstream-hash': 'abc123', volume: 'pvc-1' });
      expect(info!.lastModified).toBeInstanceOf(Date);
      // Clocks of client and local test server agree to well within a minute.
      expect(Math.abs(info!.lastModified!.getTime() - before)).toBeLessThan(60_000);
    });

    it('head returns size and lastModified', async () => {
      await store.put('meta/plain', randomBytes(999));
      const info = await store.head('meta/plain');
      expect(info?.size).toBe(999);
      expect(info?.key).toBe('meta/plain');
      expect(info?.lastModified).toBeInstanceOf(Date);
    });

    it('put over an existing key replaces it atomically (readers see old or new, never a mix)', async () => {
      const v1 = Buffer.alloc(512 * KiB, 0x11);
      const v2 = Buffer.alloc(768 * KiB, 0x22);
      await store.put('atomic/obj', v1);
      const reads: Promise<Buffer>[] = [];
      const writing = store.put('atomic/obj', v2);
      for (let i = 0; i < 4; i++) reads.push(store.get('atomic/obj').then(readAll));
      await writing;
      for (const r of await Promise.all(reads)) {
        expect(r.equals(v1) || r.equals(v2), `read of ${r.length} bytes is neither version`).toBe(true);
      }
      expectBytes(await readAll(await store.get('atomic/obj')), v2);
      expect((await store.head('atomic/obj'))?.size).toBe(v2.length);
    });

    it('zero-byte object via put', async () => {
      await store.put('zero/put', Buffer.alloc(0));
      expect((await store.head('zero/put'))?.size).toBe(0);
      expect((await readAll(await store.get('zero/put'))).length).toBe(0);
    });

    // ---------------------------------------------------------------- streaming uploads

    itNeeds('multipartComplete', 'multipart upload of several parts (last one shorter), then ranged gets at part boundaries and odd offsets', async () => {
      const ps = partSizeFor(store);
      const parts = [randomBytes(ps), randomBytes(ps), randomBytes(ps), randomBytes(Math.floor(ps / 3) + 7)];
      const whole = Buffer.concat(parts);
      const info = await uploadParts(store, 'mp/obj.bin', parts, { metadata: { kind: 'multipart' } });
      expect(info.key).toBe('mp/obj.bin');
      expect(info.size).toBe(whole.length);
      expect((await store.head('mp/obj.bin'))?.size).toBe(whole.length);
      expectBytes(await readAll(await store.get('mp/obj.bin')), whole);
      const ranges: [number, number][] = [
        [0, 1],
        [ps - 1, 2], // straddles the 1|2 boundary
        [ps, ps], // exactly part 2
        [2 * ps - 3, ps + 6], // spans part 2's end to part 3's start plus
        [3 * ps, whole.length - 3 * ps], // the short last part
        [12_345, 67_891], // odd offset, odd length
        [ps + 1, 1],
        [whole.length - 1, 1], // last byte
        [0, whole.length], // everything as a range
      ];
      for (const [offset, length] of ranges) {
        const got = await readAll(await store.get('mp/obj.bin', { range: { offset, length } }));
        expect(got.length, `range ${offset}+${length}`).toBe(length);
        expect(got.equals(whole.subarray(offset, offset + length)), `range ${offset}+${length}`).toBe(true);
      }
      expect((await readAll(await store.get('mp/obj.bin', { range: { offset: 5, length: 0 } }))).length).toBe(0);
    });

    itNeeds('multipartComplete', 'part buffers may be reused as soon as uploadPart settles', async () => {
      const ps = partSizeFor(store);
      const expected: Buffer[] = [];
      const buf = Buffer.alloc(ps);
      const up = await store.createUpload('reuse/obj');
      for (let n = 1; n <= 3; n++) {
        randomBytes(ps).copy(buf);
        expected.push(Buffer.from(buf));
        await up.uploadPart({ number: n, offset: (n - 1) * ps, data: buf });
        buf.fill(0xee); // the store must not read this any more
      }
      await up.complete();
      expectBytes(await readAll(await store.get('reuse/obj')), Buffer.concat(expected));
    });

    itNeeds('multipartComplete', 'repeating uploadPart for a part that succeeded is harmless', async () => {
      const ps = partSizeFor(store);
      const p1 = randomBytes(ps);
      const p2 = randomBytes(1000);
      const up = await store.createUpload('repeat/obj');
      await up.uploadPart({ number: 1, offset: 0, data: p1 });
      await up.uploadPart({ number: 1, offset: 0, data: p1 });
      await up.uploadPart({ number: 2, offset: ps, data: p2 });
      await up.complete();
      expectBytes(await readAll(await store.get('repeat/obj')), Buffer.concat([p1, p2]));
    });

    it('getInto, where the store has it, fills the buffer with exactly the bytes of get (ranges, last byte, over the end, zero length)', async () => {
      if (!store.getInto) return; // optional fast path; the restore falls back to get
      const whole = randomBytes(300 * KiB + 17);
      await store.put('into/obj.bin', whole);
      const ranges: [number, number][] = [
        [0, whole.length],
        [0, 1],
        [whole.length - 1, 1],
        [whole.length - 10, 100], // over the end: the 10 bytes that exist
        [7, 0],
        [123_457, 65_536],
        [1, whole.length - 2],
      ];
      for (const [offset, length] of ranges) {
        const into = Buffer.alloc(length + 8, 0xee);
        const n = await store.getInto('into/obj.bin', { offset, length }, into);
        const want = await readAll(await store.get('into/obj.bin', { range: { offset, length } }));
        expect(n, `range ${offset}+${length}`).toBe(want.length);
        expectBytes(into.subarray(0, n), want, `range ${offset}+${length}`);
        expect(into.subarray(n).every((b) => b === 0xee), `range ${offset}+${length}: nothing written past the bytes read`).toBe(true);
      }
      await expectCode(store.getInto('into/missing', { offset: 0, length: 10 }, Buffer.alloc(10)), ErrorCode.NOT_FOUND);
      await store.delete('into/obj.bin');
    });

    it('resumeUpload exists exactly when the entry declares it', () => {
      expect(typeof store.resumeUpload === 'function').toBe(unsupported.resumeUpload === undefined);
    });

    itNeeds(['resumeUpload', 'multipartComplete'], 'an interrupted upload is reopened by its handle and completes with every byte', async () => {
      const ps = partSizeFor(store);
      const parts = [randomBytes(ps), randomBytes(ps), randomBytes(1234)];
      const first = await store.createUpload('resume/obj');
      await first.uploadPart({ number: 1, offset: 0, data: parts[0]! });
      await first.uploadPart({ number: 2, offset: ps, data: parts[1]! });
      await first.checkpoint?.();
      const handle = first.handle;
      expect(typeof handle).toBe('string');
      await first.suspend?.();
      const again = await store.resumeUpload!('resume/obj', handle!);
      expect(again).toBeDefined();
      if (again!.parts) {
        expect(again!.parts.map((p) => [p.number, p.size])).toEqual([[1, ps], [2, ps]]);
        expect(again!.parts.every((p) => p.etag === first.receiptOf?.(p.number))).toBe(true);
      } else {
        expect(again!.writtenBytes).toBe(2 * ps);
      }
      expect(await store.head('resume/obj')).toBeUndefined();
      await again!.upload.uploadPart({ number: 3, offset: 2 * ps, data: parts[2]! });
      await again!.upload.complete({ partCount: 3, size: 2 * ps + 1234 });
      expectBytes(await readAll(await store.get('resume/obj')), Buffer.concat(parts));
      // Not asserted: that the handle of a completed upload is gone. radosgw answers ListParts with
      // NoSuchUpload then, Swift's s3api still lists the parts; the manifest, not the upload, commits.
    });

    itNeeds('resumeUpload', 'resumeUpload refuses an aborted upload, a foreign key and a made-up handle', async () => {
      const up = await store.createUpload('resume-gone/obj');
      await up.uploadPart({ number: 1, offset: 0, data: randomBytes(partSizeFor(store)) });
      const handle = up.handle!;
      const other = await store.createUpload('resume-gone/other');
      try {
        // A handle is only good for the key it was made for.
        expect(await store.resumeUpload!('resume-gone/other', handle)).toBeUndefined();
      } finally {
        await other.abort();
      }
      await up.abort();
      expect(await store.resumeUpload!('resume-gone/obj', handle)).toBeUndefined();
      for (const bogus of ['../../../etc/passwd', `${handle}/../x`, 'x'.repeat(40)]) {
        expect(await store.resumeUpload!('resume-gone/obj', bogus), bogus).toBeUndefined();
      }
      expect(await keys(store, 'resume-gone/')).toEqual([]);
    });

    it('limits.parallelParts matches what the entry declares', () => {
      expect(store.limits.parallelParts).toBe(unsupported.parallelParts === undefined);
    });

    itNeeds(['parallelParts', 'multipartComplete'], 'parts uploaded concurrently and out of order', async () => {
      const ps = partSizeFor(store);
      const parts = [randomBytes(ps), randomBytes(ps), randomBytes(777)];
      const up = await store.createUpload('ooo/obj');
      await Promise.all([
        up.uploadPart({ number: 3, offset: 2 * ps, data: parts[2]! }),
        up.uploadPart({ number: 1, offset: 0, data: parts[0]! }),
        up.uploadPart({ number: 2, offset: ps, data: parts[1]! }),
      ]);
      await up.complete();
      expectBytes(await readAll(await store.get('ooo/obj')), Buffer.concat(parts));
    });

    // The backup of an empty stream uploads one empty part (upload-stream.ts).
    itNeeds('multipartComplete', 'zero-byte object via an upload of one empty part', async () => {
      const up = await store.createUpload('zero/one-empty-part');
      await up.uploadPart({ number: 1, offset: 0, data: Buffer.alloc(0) });
      expect((await up.complete()).size).toBe(0);
      expect((await store.head('zero/one-empty-part'))?.size).toBe(0);
      expect((await readAll(await store.get('zero/one-empty-part'))).length).toBe(0);
    });

    it('zero-byte object via an upload of no parts', async () => {
      const none = await store.createUpload('zero/no-parts');
      expect((await none.complete()).size).toBe(0);
      expect((await store.head('zero/no-parts'))?.size).toBe(0);
      expect((await readAll(await store.get('zero/no-parts'))).length).toBe(0);
    });

    it('an upload is not visible before complete()', async () => {
      const ps = partSizeFor(store);
      const up = await store.createUpload('vis/obj');
      try {
        await up.uploadPart({ number: 1, offset: 0, data: randomBytes(ps) });
        expect(await store.head('vis/obj')).toBeUndefined();
        expect(await keys(store, 'vis/')).toEqual([]);
        await expectCode(store.get('vis/obj'), ErrorCode.NOT_FOUND);
        if (unsupported.multipartComplete) return;
        await up.uploadPart({ number: 2, offset: ps, data: randomBytes(10) });
        await up.complete();
        expect((await store.head('vis/obj'))?.size).toBe(ps + 10);
      } finally {
        await up.abort();
      }
    });

    it('abort leaves nothing behind and is idempotent', async () => {
      const ps = partSizeFor(store);
      const up = await store.createUpload('abort/obj');
      await up.uploadPart({ number: 1, offset: 0, data: randomBytes(ps) });
      await up.abort();
      await up.abort();
      expect(await store.head('abort/obj')).toBeUndefined();
      expect(await keys(store, 'abort/')).toEqual([]);
      await expect(up.uploadPart({ number: 2, offset: ps, data: randomBytes(10) })).rejects.toBeInstanceOf(SnapstreamError);
    });

    it('abort of an upload over an existing key keeps the old object', async () => {
      const old = randomBytes(3000);
      await store.put('abort/keep', old);
      const up = await store.createUpload('abort/keep');
      await up.uploadPart({ number: 1, offset: 0, data: randomBytes(partSizeFor(store)) });
      await up.abort();
      expectBytes(await readAll(await store.get('abort/keep')), old);
    });

    it('a range running over the end returns the bytes that exist; one starting past the end is not retryable', async () => {
      const body = randomBytes(1000);
      await store.put('range/short', body);
      expectBytes(await readAll(await store.get('range/short', { range: { offset: 990, length: 100 } })), body.subarray(990), 'tail');
      const past = store.get('range/short', { range: { offset: 2000, length: 10 } });
      if ((options.rangePastEnd ?? 'rejects') === 'rejects') {
        const e = await expectCode(past.then(readAll), ErrorCode.STORE_FAILED);
        expect(e.retryable).toBe(false);
      } else {
        expect((await readAll(await past)).length).toBe(0);
      }
    });

    it('aborting the signal of a get ends its body with an error', async () => {
      await store.put('range/abort', randomBytes(2 * 1024 * KiB));
      const ac = new AbortController();
      const body = await store.get('range/abort', { signal: ac.signal });
      const failed = (async () => {
        let n = 0;
        for await (const c of body) {
          n += (c as Buffer).length;
          ac.abort(new Error('test cancelled the read'));
        }
        return n;
      })();
      await expect(failed).rejects.toBeInstanceOf(Error);
    });

    // ---------------------------------------------------------------- list / delete

    it('list returns exactly the keys under a prefix, across several pages', async () => {
      const n = 2 * t.listPageSize + 3;
      const want: string[] = [];
      for (let i = 0; i < n; i++) want.push(`list/p/${String(i).padStart(4, '0')}`);
      await inBatches(want, 8, (k) => store.put(k, Buffer.from(k)));
      await store.put('list/pp-sibling', Buffer.from('x'));
      await store.put('list/q/other', Buffer.from('y'));
      await store.put('list/p/deeper/nested', Buffer.from('zz'));
      const got = await collect(store.list('list/p/'));
      expect(got.map((o) => o.key).sort()).toEqual([...want, 'list/p/deeper/nested'].sort());
      expect(new Set(got.map((o) => o.key)).size).toBe(got.length); // no page returned twice
      const nested = got.find((o) => o.key === 'list/p/deeper/nested');
      expect(nested?.size).toBe(2);
      // A prefix is a string prefix, not a directory.
      expect((await keys(store, 'list/p')).length).toBe(n + 2);
      expect(await keys(store, 'list/nothing-here/')).toEqual([]);
    });

    it('delete removes an object; deleting again or a missing key succeeds', async () => {
      await store.put('del/obj', Buffer.from('bye'));
      await store.delete('del/obj');
      expect(await store.head('del/obj')).toBeUndefined();
      await store.delete('del/obj');
      await store.delete('del/never-existed');
      expect(await keys(store, 'del/')).toEqual([]);
    });

    it('get of a missing key rejects NOT_FOUND (not retryable); head returns undefined', async () => {
      const e1 = await expectCode(store.get('missing/obj'), ErrorCode.NOT_FOUND);
      expect(e1.retryable).toBe(false);
      await expectCode(store.get('missing/obj', { range: { offset: 0, length: 10 } }), ErrorCode.NOT_FOUND);
      expect(await store.head('missing/obj')).toBeUndefined();
    });

    // ---------------------------------------------------------------- keys

    it('keys with spaces, unicode, +, %, =, and other reserved characters round-trip', async () => {
      const odd = [
        'odd/with space/and  two.bin',
        'odd/ünïcødé/日本語/ファイル',
        'odd/emoji-📦',
        'odd/plus+sign+',
        'odd/percent%20literal%2F%',
        'odd/equals=a=b',
        "odd/mixed ~!@$&'()*,;:[]",
        'odd/hash#and?question',
        'odd/.dotfile',
      ];
      for (const k of odd) await store.put(k, Buffer.from(`body of ${k}`));
      for (const k of odd) {
        expectBytes(await readAll(await store.get(k)), Buffer.from(`body of ${k}`), k);
        expect((await store.head(k))?.size, k).toBe(Buffer.byteLength(`body of ${k}`));
      }
      expect((await keys(store, 'odd/')).sort()).toEqual([...odd].sort());
      expect(await keys(store, 'odd/plus+')).toEqual(['odd/plus+sign+']);
      expect(await keys(store, 'odd/ünïcødé/')).toEqual(['odd/ünïcødé/日本語/ファイル']);
      for (const k of odd) await store.delete(k);
      expect(await keys(store, 'odd/')).toEqual([]);
    });

    it('invalid keys are rejected with INVALID_ARGUMENT before any request', async () => {
      const bad = ['', '/abs', 'a//b', 'a/../b', '..', 'a/./b', 'trailing/', 'back\\slash', 'nul\u0000byte', 'tab\tkey', 'x'.repeat(1025)];
      for (const k of bad) {
        await expectCode(store.put(k, Buffer.from('x')), ErrorCode.INVALID_ARGUMENT, k);
        await expectCode(store.get(k), ErrorCode.INVALID_ARGUMENT, k);
        await expectCode(store.head(k), ErrorCode.INVALID_ARGUMENT, k);
        await expectCode(store.delete(k), ErrorCode.INVALID_ARGUMENT, k);
        await expectCode(store.createUpload(k), ErrorCode.INVALID_ARGUMENT, k);
      }
    });

    // ---------------------------------------------------------------- cleanup, signals, failures

    itNeeds('cleanupUploads', 'cleanupUploads removes unfinished uploads older than the cutoff under the prefix only', async () => {
      const ps = partSizeFor(store);
      const mine = await store.createUpload('cleanup/a/obj');
      const other = await store.createUpload('elsewhere/obj');
      try {
        await mine.uploadPart({ number: 1, offset: 0, data: randomBytes(ps) });
        await other.uploadPart({ number: 1, offset: 0, data: randomBytes(ps) });
        expect(await store.cleanupUploads('cleanup/', new Date(Date.now() - 3_600_000))).toBe(0); // too young
        expect(await store.cleanupUploads('cleanup/', new Date(Date.now() + 60_000))).toBe(1);
        expect(await store.cleanupUploads('cleanup/', new Date(Date.now() + 60_000))).toBe(0);
        expect(await store.head('cleanup/a/obj')).toBeUndefined();
        // The upload under the other prefix survived: it can still be completed.
        if (!unsupported.multipartComplete) {
          await other.uploadPart({ number: 2, offset: ps, data: randomBytes(5) });
          expect((await other.complete()).size).toBe(ps + 5);
        }
      } finally {
        await mine.abort();
        await other.abort();
      }
      await store.delete('elsewhere/obj');
    });

    it('cleanupUploads with nothing to clean returns 0', async () => {
      expect(await store.cleanupUploads('no-uploads-here/', new Date(Date.now() + 60_000))).toBe(0);
    });

    it('an already-aborted signal rejects with ABORTED', async () => {
      const ac = new AbortController();
      ac.abort();
      await expectCode(store.put('signal/obj', Buffer.from('x'), { signal: ac.signal }), ErrorCode.ABORTED);
      expect(await store.head('signal/obj')).toBeUndefined();
    });

    itNeeds('unreachableIsRetryable', 'an unreachable server fails STORE_FAILED, retryable', async () => {
      const dead = t.unreachable!();
      try {
        const e = await expectCode(dead.head('x/y'), ErrorCode.STORE_FAILED);
        expect(e.retryable).toBe(true);
        expect(e.message).not.toMatch(/TESTSK|secret/i);
      } finally {
        await dead.close();
      }
    });

    itNeeds('deniedIsPermanent', 'wrong credentials fail STORE_FAILED, not retryable', async () => {
      const denied = t.denied!();
      try {
        const e = await expectCode(denied.put('x/y', Buffer.from('x')), ErrorCode.STORE_FAILED);
        expect(e.retryable).toBe(false);
      } finally {
        await denied.close();
      }
    });

    itNeeds('cutConnections', 'a put whose connection is cut mid-body is retried and lands whole', async () => {
      const proxy = await startCuttingProxy(t.server!, { cutAtByte: 20 * KiB });
      const flaky = t.throughProxy!(proxy.url);
      try {
        const body = randomBytes(200 * KiB);
        await flaky.put('cut/put', body);
        expect(proxy.cuts).toBe(1);
        expectBytes(await readAll(await store.get('cut/put')), body);
      } finally {
        await flaky.close();
        await proxy.close();
      }
    });

    /** Uploads 2.x parts through a proxy that resets the connection carrying the middle byte. */
    const cutUpload = async (key: string): Promise<{ outcome: 'completed' | SnapstreamError; whole: Buffer }> => {
      const ps = partSizeFor(store);
      const parts = [randomBytes(ps), randomBytes(ps), randomBytes(1000)];
      const proxy = await startCuttingProxy(t.server!, { cutAtByte: Math.floor((2 * ps + 1000) / 2) });
      const flaky = t.throughProxy!(proxy.url);
      try {
        let outcome: 'completed' | SnapstreamError = 'completed';
        await uploadParts(flaky, key, parts).catch((e: SnapstreamError) => (outcome = e)); // aborts on failure
        expect(proxy.cuts).toBe(1);
        return { outcome, whole: Buffer.concat(parts) };
      } finally {
        await flaky.close();
        await proxy.close();
      }
    };

    itNeeds(['cutConnections', 'multipartComplete'], 'a streaming upload whose connection is cut mid-part completes with the right bytes or fails STORE_FAILED', async () => {
      const { outcome, whole } = await cutUpload('cut/upload');
      if (outcome === 'completed') expectBytes(await readAll(await store.get('cut/upload')), whole);
      else {
        // A store that cannot resume says so; the caller restarts the whole upload.
        expect(outcome).toBeInstanceOf(SnapstreamError);
        expect(outcome.code).toBe(ErrorCode.STORE_FAILED);
      }
      await store.delete('cut/upload');
    });

    itNeeds(['cutConnections', 'multipartComplete', 'cleanFailureAfterCut'], 'a streaming upload that failed on a cut connection leaves nothing once aborted', async () => {
      const { outcome } = await cutUpload('cut/clean');
      if (outcome === 'completed') expect((await store.head('cut/clean'))?.size).toBeGreaterThan(0);
      else expect(await store.head('cut/clean')).toBeUndefined();
      await store.delete('cut/clean');
    });

    it('describe() names the location without secrets', () => {
      const d = store.describe();
      expect(d.length).toBeGreaterThan(0);
      expect(d).not.toMatch(/TESTSK|testing|secret|password|private_key/i);
    });
  });
}

// ---------------------------------------------------------------- helpers

/** Smallest part size the store accepts, but at least 256 KiB so parts are real chunks. */
function partSizeFor(store: ObjectStore): number {
  return Math.max(store.limits.minPartSize, 256 * KiB);
}

async function uploadParts(store: ObjectStore, key: string, parts: Buffer[], opts?: PutOptions): Promise<ObjectInfo> {
  const up = await store.createUpload(key, opts);
  try {
    let offset = 0;
    const specs = parts.map((data, i) => {
      const p = { number: i + 1, offset, data };
      offset += data.length;
      return p;
    });
    if (store.limits.parallelParts) await Promise.all([...specs].reverse().map((p) => up.uploadPart(p)));
    else for (const p of specs) await up.uploadPart(p);
    return await up.complete();
  } catch (e) {
    await up.abort();
    throw e;
  }
}

/**
 * Byte-for-byte equality. Deliberately not toEqual: vitest compares Buffers element by element,
 * which takes seconds per MiB and blocks the event loop long enough for servers to drop idle
 * keep-alive sockets under the client (seen as ECONNRESET/EPIPE in the next test).
 */
function expectBytes(got: Buffer, want: Buffer, what = ''): void {
  expect(got.length, `${what} length`).toBe(want.length);
  if (!got.equals(want)) {
    let i = 0;
    while (got[i] === want[i]) i++;
    expect.fail(`${what} bytes differ first at offset ${i} of ${want.length}`);
  }
}

export async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

async function collect(it: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of it) out.push(o);
  return out;
}

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  return (await collect(store.list(prefix))).map((o) => o.key);
}

async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function expectCode(p: Promise<unknown>, code: ErrorCode, what = ''): Promise<SnapstreamError> {
  try {
    await p;
  } catch (e) {
    expect(e, `${what}: ${String(e)}`).toBeInstanceOf(SnapstreamError);
    expect((e as SnapstreamError).code, `${what}: ${(e as Error).message}`).toBe(code);
    return e as SnapstreamError;
  }
  throw new Error(`expected ${code}${what ? ` for ${JSON.stringify(what)}` : ''}, but it succeeded`);
}
