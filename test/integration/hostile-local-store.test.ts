import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import { LocalStore } from '../../src/store/local/local-store.js';

/**
 * Issue 10, finding 6: objects were 0644 and directories 0755 (any local user could read every
 * backup), and symlinks inside the root were followed out of it (`backups/x -> /elsewhere`).
 */
const base = mkdtempSync(path.join(tmpdir(), 'snapstream-hls-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const mode = (p: string) => statSync(p).mode & 0o777;

describe('local store on a real filesystem', () => {
  it('creates its root 0700, directories 0700 and objects 0600 (put and multipart)', async () => {
    const root = path.join(base, 'new-root');
    const s = new LocalStore(root);
    await s.put('backups/b1/vol-b1.snapstream.json', Buffer.from('{}'));
    const up = await s.createUpload('backups/b1/vol-b1');
    await up.uploadPart({ number: 1, offset: 0, data: Buffer.from('stream') });
    await up.complete();
    expect(mode(root)).toBe(0o700);
    expect(mode(path.join(root, 'backups'))).toBe(0o700);
    expect(mode(path.join(root, 'backups/b1'))).toBe(0o700);
    expect(mode(path.join(root, 'backups/b1/vol-b1'))).toBe(0o600);
    expect(mode(path.join(root, 'backups/b1/vol-b1.snapstream.json'))).toBe(0o600);
  });

  it('warns about an existing root that others can read', async () => {
    const root = path.join(base, 'open-root');
    mkdirSync(root, { mode: 0o755 });
    chmodSync(root, 0o755);
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    await new LocalStore(root, { log }).put('k', Buffer.from('x'));
    expect(lines.join('')).toMatch(/has mode 755: other local users can read or enter it; chmod 700 it/);
    expect(mode(root)).toBe(0o755); // reported, not changed
  });

  it('never follows a symlinked directory inside the root: put, upload, get, head, list, delete refused; nothing written outside', async () => {
    const root = path.join(base, 'link-root');
    const elsewhere = path.join(base, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(path.join(elsewhere, 'victim'), 'precious');
    const s = new LocalStore(root);
    await s.put('backups/ok/obj', Buffer.from('x'));
    symlinkSync(elsewhere, path.join(root, 'backups/x'));
    const refused = { code: ErrorCode.STORE_FAILED, message: expect.stringMatching(/is a symbolic link/) };
    await expect(s.put('backups/x/planted', Buffer.from('evil'))).rejects.toMatchObject(refused);
    await expect(s.createUpload('backups/x/deeper/planted')).rejects.toMatchObject(refused);
    await expect(s.get('backups/x/victim')).rejects.toMatchObject(refused);
    await expect(s.getInto('backups/x/victim', { offset: 0, length: 4 }, Buffer.alloc(4))).rejects.toMatchObject(refused);
    await expect(s.head('backups/x/victim')).rejects.toMatchObject(refused);
    await expect(s.delete('backups/x/victim')).rejects.toMatchObject(refused);
    const listed: string[] = [];
    for await (const o of s.list('backups/')) listed.push(o.key);
    expect(listed).toEqual(['backups/ok/obj']); // the link is not walked
    expect(readdirSync(elsewhere)).toEqual(['victim']);
    expect(existsSync(path.join(elsewhere, 'deeper'))).toBe(false);
  });

  it('never follows a symlinked object (O_NOFOLLOW): reading it fails, overwriting replaces the link only', async () => {
    const root = path.join(base, 'file-link-root');
    const outside = path.join(base, 'outside-file');
    writeFileSync(outside, 'secret of the host');
    const s = new LocalStore(root);
    await s.put('backups/b/obj', Buffer.from('x'));
    symlinkSync(outside, path.join(root, 'backups/b/link'));
    await expect(s.get('backups/b/link')).rejects.toMatchObject({ code: ErrorCode.STORE_FAILED });
    await expect(s.getInto('backups/b/link', { offset: 0, length: 4 }, Buffer.alloc(4))).rejects.toMatchObject({ code: ErrorCode.STORE_FAILED });
    expect(await s.head('backups/b/link')).toBeUndefined();
    await s.put('backups/b/link', Buffer.from('new'));
    expect(statSync(outside).size).toBe('secret of the host'.length);
    expect(mode(path.join(root, 'backups/b/link'))).toBe(0o600);
  });
});
