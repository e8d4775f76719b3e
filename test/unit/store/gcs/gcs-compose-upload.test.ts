import { randomBytes } from 'node:crypto';
import type { Bucket } from '@google-cloud/storage';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SnapstreamError } from '../../../../src/errors.js';
import { COMPOSE_FANIN, GcsComposeUpload, META_KEY, META_UPLOAD } from '../../../../src/store/gcs/gcs-compose-upload.js';
import { mapGcsError } from '../../../../src/store/gcs/map-gcs-error.js';

/**
 * Compose cannot run on the emulator here (501), so its logic runs against an in-memory bucket that
 * implements the few calls GcsComposeUpload makes, with GCS's rule of at most 32 sources per compose.
 */
class FakeBucket {
  readonly objects = new Map<string, { data: Buffer; metadata: Record<string, unknown> }>();
  composes: number[] = [];
  inflight = 0;
  maxInflight = 0;
  composeStatus: number | undefined;

  file(name: string) {
    const b = this;
    const f = {
      name,
      metadata: {} as Record<string, unknown>,
      async save(data: Buffer, opts: { metadata: Record<string, unknown> }) {
        b.objects.set(name, { data: Buffer.from(data), metadata: { ...opts.metadata, size: String(data.length) } });
      },
      async getMetadata() {
        const o = b.objects.get(name);
        if (!o) throw Object.assign(new Error(`No such object: ${name}`), { code: 404 });
        f.metadata = { ...o.metadata, size: String(o.data.length) };
        return [f.metadata];
      },
      async delete() {
        b.objects.delete(name);
      },
      async request(req: { method: string; uri: string; json: { destination: Record<string, unknown>; sourceObjects: { name: string }[] } }) {
        expect(req).toMatchObject({ method: 'POST', uri: '/compose' });
        if (b.composeStatus) throw Object.assign(new Error('Not Implemented'), { code: b.composeStatus });
        const src = req.json.sourceObjects.map((s) => s.name);
        if (src.length > COMPOSE_FANIN) throw Object.assign(new Error('too many sources'), { code: 400 });
        b.inflight++;
        b.maxInflight = Math.max(b.maxInflight, b.inflight);
        await new Promise((r) => setTimeout(r, 1));
        b.inflight--;
        const data = Buffer.concat(src.map((s) => b.objects.get(s)!.data));
        b.objects.set(name, { data, metadata: req.json.destination });
        b.composes.push(src.length);
      },
    };
    return f;
  }

  async getFiles(q: { prefix: string; maxResults: number; pageToken?: string }) {
    const names = [...this.objects.keys()].filter((n) => n.startsWith(q.prefix)).sort();
    const start = q.pageToken ? Number(q.pageToken) : 0;
    const page = names.slice(start, start + q.maxResults).map((n) => this.file(n));
    const next = start + q.maxResults < names.length ? { pageToken: String(start + q.maxResults) } : null;
    return [page, next] as const;
  }
}

function upload(bucket: FakeBucket, key = 'backups/b1/v-b1') {
  return new GcsComposeUpload(
    key,
    {
      bucket: bucket as unknown as Bucket,
      where: 'gs://fake',
      log: pino({ level: 'silent' }),
      fullKey: `root/${key}`,
      tempPrefix: 'root/.snapstream-uploads/u1/',
      uploadId: 'u1',
      mapError: (k, e) => mapGcsError('gs://fake', k, e),
    },
    { contentType: 'application/octet-stream', metadata: { volume: 'v' } },
  );
}

async function uploadAll(up: GcsComposeUpload, parts: Buffer[]) {
  let offset = 0;
  const specs = parts.map((data, i) => {
    const p = { number: i + 1, offset, data };
    offset += data.length;
    return p;
  });
  await Promise.all(specs.reverse().map((p) => up.uploadPart(p)));
}

describe('GcsComposeUpload against an in-memory bucket', () => {
  it.each([
    [1, [1]],
    [32, [32]],
    [70, [32, 32, 6, 3]],
    [1100, [...Array(34).fill(32), 12, 32, 3, 2]],
  ])('%i parts compose in a tree of at most 32 sources per call (%j)', async (n, composes) => {
    const b = new FakeBucket();
    const parts = Array.from({ length: n }, (_, i) => randomBytes(1 + (i % 7)));
    const up = upload(b);
    await uploadAll(up, parts);
    const custom = (o: { metadata: Record<string, unknown> }) => (o.metadata.metadata ?? {}) as Record<string, string>;
    const tmp = [...b.objects.values()].filter((o) => custom(o)[META_UPLOAD] === 'u1' && custom(o)[META_KEY] === 'backups/b1/v-b1');
    expect(tmp.length).toBe(n);
    expect(b.objects.has('root/backups/b1/v-b1')).toBe(false); // nothing under the key before complete()
    const info = await up.complete();
    expect(b.composes.sort((x, y) => y - x)).toEqual([...composes].sort((x, y) => y - x));
    expect(b.maxInflight).toBeLessThanOrEqual(8);
    const final = b.objects.get('root/backups/b1/v-b1')!;
    expect(final.data.equals(Buffer.concat(parts))).toBe(true);
    expect(final.metadata).toEqual({ contentType: 'application/octet-stream', metadata: { volume: 'v' } });
    expect(info).toMatchObject({ key: 'backups/b1/v-b1', size: final.data.length, metadata: { volume: 'v' } });
    // Only the final object is left: every temporary, parts and intermediate composites, is gone.
    expect([...b.objects.keys()]).toEqual(['root/backups/b1/v-b1']);
  });

  it('temporary parts carry the key and upload id for cleanupUploads', async () => {
    const b = new FakeBucket();
    const up = upload(b);
    await up.uploadPart({ number: 1, offset: 0, data: Buffer.from('x') });
    expect(b.objects.get('root/.snapstream-uploads/u1/p000001')!.metadata).toMatchObject({
      metadata: { [META_KEY]: 'backups/b1/v-b1', [META_UPLOAD]: 'u1' },
    });
  });

  it('no parts: an empty object; a missing part: refused before any compose', async () => {
    const b = new FakeBucket();
    expect((await upload(b).complete()).size).toBe(0);
    expect(b.objects.get('root/backups/b1/v-b1')!.data.length).toBe(0);

    const b2 = new FakeBucket();
    const up = upload(b2);
    await up.uploadPart({ number: 1, offset: 0, data: Buffer.from('a') });
    await up.uploadPart({ number: 3, offset: 2, data: Buffer.from('c') });
    await expect(up.complete()).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/part 2 .* never uploaded/) });
    expect(b2.composes).toEqual([]);
  });

  it('abort removes every temporary and is idempotent; the key never appears', async () => {
    const b = new FakeBucket();
    const up = upload(b);
    await uploadAll(up, [randomBytes(10), randomBytes(10)]);
    await up.abort();
    await up.abort();
    expect(b.objects.size).toBe(0);
    await expect(up.uploadPart({ number: 3, offset: 20, data: Buffer.from('x') })).rejects.toBeInstanceOf(SnapstreamError);
  });

  it('a server without compose fails with the fix in the message (not retryable)', async () => {
    const b = new FakeBucket();
    b.composeStatus = 501;
    const up = upload(b);
    await uploadAll(up, [randomBytes(10), randomBytes(10)]);
    const err = await up.complete().catch((e: SnapstreamError) => e);
    expect(err).toMatchObject({ code: 'STORE_FAILED', retryable: false });
    expect((err as Error).message).toMatch(/cannot compose objects, which parallelUpload needs; drop parallelUpload=true/);
    await up.abort();
    expect(b.objects.size).toBe(0);
  });
});
