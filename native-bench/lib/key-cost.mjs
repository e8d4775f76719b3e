// What authentication and encryption cost (issue 10): snapstream's backup, restore and verify with a
// signing key (SHA-256 part hashes, signed manifest) and with signing + AES-256-GCM encryption, beside
// the plain (XXH64) ss-*-local contenders. A local directory store keeps the server out of the ratio.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from './measure.mjs';
import { emptyPrefix } from './setup.mjs';

export function keyCostContenders({ repoDir, node }) {
  const bin = path.join(repoDir, 'bin/snapstream.js');
  let keys;
  // Made on first use (the bench may select none of these), removed at process exit.
  const keyFiles = () => {
    if (keys) return keys;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'native-bench-keys-'));
    execFileSync(node, [bin, 'keygen', '--out', dir], { stdio: 'ignore' });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    keys = { sign: path.join(dir, 'signing.pem'), pub: path.join(dir, 'signing.pub.pem'), enc: path.join(dir, 'encryption.key') };
    return keys;
  };
  const ss = (args) => [node, bin, ...args];
  const loc = (ctx, sub) => `file://${path.join(ctx.storeDir, sub)}`;
  const name = (ctx) => `b${ctx.runId}`;
  const checkManifest = (encrypted) => (ctx, r) => {
    const m = JSON.parse(r.stdout);
    if (m.size !== ctx.facts.bytes) throw new Error(`manifest size ${m.size}, stream is ${ctx.facts.bytes}`);
    if (m.hash !== 'sha256' || (encrypted && !m.encryption)) throw new Error(`manifest hash ${m.hash}, encrypted ${!!m.encryption}`);
    return { backup: m.backup };
  };
  const checkRestored = async (ctx) => {
    const guid = (await run(['zfs', 'get', '-H', '-o', 'value', 'guid', `${ctx.target}@${ctx.snap.label}`])).trim();
    if (guid !== ctx.facts.guid) throw new Error(`restored ${ctx.target}@${ctx.snap.label} has guid ${guid}, source has ${ctx.facts.guid}`);
  };
  const destroyTarget = (ctx) => run(['zfs', 'destroy', '-r', ctx.target]).catch(() => {});
  const removeBackup = (sub) => (ctx, artifact) => rmSync(path.join(ctx.storeDir, sub, 'backups', artifact.backup), { recursive: true, force: true });
  const common = { family: 'snapstream', agent: true, onlyFirstSize: true };
  return [
    {
      ...common,
      id: 'ss-backup-local-signed',
      label: 'snapstream backup -> local dir, signed (SHA-256)',
      phase: 'backup',
      argv: (ctx) => ss(['backup', ctx.snap.snapshot, '--to', loc(ctx, 'signed'), '--backup', name(ctx), '--volume', 'v', '--json', '-q', '--signing-key', keyFiles().sign]),
      verify: checkManifest(false),
      keeps: 'localSignedBackup',
      cleanup: removeBackup('signed'),
    },
    {
      // Keyed backups hash every part with SHA-256 for the manifest; over plain http that digest is also
      // the request's signed payload hash (issue 12: hashed once, not again for SigV4). Beside ss-backup-s3.
      ...common,
      id: 'ss-backup-s3-signed',
      label: 'snapstream backup -> radosgw, signed (SHA-256)',
      phase: 'backup',
      s3: true,
      argv: (ctx) =>
        ss(['backup', ctx.snap.snapshot, '--to', `s3://${ctx.s3.bucket}/signed?endpoint=${encodeURIComponent(ctx.s3.endpoint)}&region=us-east-1&forcePathStyle=true`,
          '--backup', name(ctx), '--volume', 'v', '--json', '-q', '--signing-key', keyFiles().sign]),
      verify: checkManifest(false),
      cleanup: (ctx, artifact) => emptyPrefix(ctx.state, `signed/backups/${artifact?.backup ?? name(ctx)}/`),
    },
    {
      ...common,
      id: 'ss-backup-local-encrypted',
      label: 'snapstream backup -> local dir, signed + AES-256-GCM',
      phase: 'backup',
      argv: (ctx) =>
        ss(['backup', ctx.snap.snapshot, '--to', loc(ctx, 'enc'), '--backup', name(ctx), '--volume', 'v', '--json', '-q', '--signing-key', keyFiles().sign, '--encryption-key', keyFiles().enc]),
      verify: checkManifest(true),
      keeps: 'localEncBackup',
      cleanup: removeBackup('enc'),
    },
    {
      ...common,
      id: 'ss-restore-local-signed',
      label: 'snapstream restore <- local dir, signed',
      phase: 'restore',
      needs: 'localSignedBackup',
      argv: (ctx) => ss(['restore', '--from', loc(ctx, 'signed'), '--backup', ctx.fixture.backup, '--volume', 'v', '--target', ctx.target, '-q', '--trusted-key', keyFiles().pub]),
      verify: checkRestored,
      cleanup: destroyTarget,
    },
    {
      ...common,
      id: 'ss-restore-local-encrypted',
      label: 'snapstream restore <- local dir, signed + encrypted',
      phase: 'restore',
      needs: 'localEncBackup',
      argv: (ctx) =>
        ss(['restore', '--from', loc(ctx, 'enc'), '--backup', ctx.fixture.backup, '--volume', 'v', '--target', ctx.target, '-q', '--trusted-key', keyFiles().pub, '--encryption-key', keyFiles().enc]),
      verify: checkRestored,
      cleanup: destroyTarget,
    },
    {
      ...common,
      id: 'ss-verify-local',
      label: 'snapstream verify <- local dir (XXH64)',
      phase: 'restore',
      needs: 'localBackup',
      argv: (ctx) => ss(['verify', `file://${ctx.storeDir}`, '--backup', ctx.fixture.backup, '--volume', 'v', '-q']),
    },
    {
      ...common,
      id: 'ss-verify-local-signed',
      label: 'snapstream verify <- local dir, signed (SHA-256)',
      phase: 'restore',
      needs: 'localSignedBackup',
      argv: (ctx) => ss(['verify', loc(ctx, 'signed'), '--backup', ctx.fixture.backup, '--volume', 'v', '-q', '--trusted-key', keyFiles().pub]),
    },
    {
      ...common,
      id: 'ss-verify-local-encrypted',
      label: 'snapstream verify <- local dir, signed + decrypted',
      phase: 'restore',
      needs: 'localEncBackup',
      argv: (ctx) => ss(['verify', loc(ctx, 'enc'), '--backup', ctx.fixture.backup, '--volume', 'v', '-q', '--trusted-key', keyFiles().pub, '--encryption-key', keyFiles().enc]),
    },
  ];
}
