#!/usr/bin/env node
// Per-GiB cost of each digest/cipher snapstream can use, in this process, on 8 MiB buffers (the
// default part size): XXH64 (the unkeyed default), SHA-256 (parts of signed/encrypted backups),
// BLAKE2b-512 (node:crypto's nearest to BLAKE3, which has no well-kept npm package available here),
// AES-256-GCM seal and open, and one Ed25519 manifest signature/verification.
//   npm run build && node native-bench/crypto-micro.mjs [--gib 1]
import { createCipheriv, createDecipheriv, createHash, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadHasher } from '../dist/model/hasher.js';

const { values } = parseArgs({ options: { gib: { type: 'string', default: '1' } } });
const GiB = 2 ** 30;
const total = Number(values.gib) * GiB;
const part = 8 * 2 ** 20;
const buf = randomBytes(part);
const parts = Math.ceil(total / part);
const xxh = await loadHasher();
const key = randomBytes(32);

function measure(name, fn) {
  fn(0); // warm up
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 1; i <= parts; i++) fn(i);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const gib = (parts * part) / GiB;
  const row = { name, MiBps: Math.round((gib * 1024) / secs), cpuSPerGiB: +((cpu.user + cpu.system) / 1e6 / gib).toFixed(3) };
  process.stdout.write(`${name.padEnd(22)} ${String(row.MiBps).padStart(6)} MiB/s  ${row.cpuSPerGiB.toFixed(3)} CPU s/GiB\n`);
  return row;
}
const nonce = (n) => {
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(BigInt(n + 1), 4);
  return iv;
};
const sealed = (() => {
  const c = createCipheriv('aes-256-gcm', key, nonce(0));
  return Buffer.concat([c.update(buf), c.final(), c.getAuthTag()]);
})();
process.stdout.write(`node ${process.version}, ${Number(values.gib)} GiB in ${part / 2 ** 20} MiB buffers, xxh64 impl ${xxh.impl}\n`);
const rows = [
  measure('xxh64', () => xxh.hashHex(buf)),
  measure('sha256', () => createHash('sha256').update(buf).digest()),
  measure('blake2b512', () => createHash('blake2b512').update(buf).digest()),
  measure('aes-256-gcm seal', (i) => {
    const c = createCipheriv('aes-256-gcm', key, nonce(i));
    c.update(buf);
    c.final();
    c.getAuthTag();
  }),
  measure('aes-256-gcm open', () => {
    const d = createDecipheriv('aes-256-gcm', key, nonce(0));
    d.setAuthTag(sealed.subarray(part));
    d.update(sealed.subarray(0, part));
    d.final();
  }),
  measure('seal + sha256(stored)', (i) => {
    const c = createCipheriv('aes-256-gcm', key, nonce(i));
    const out = c.update(buf);
    c.final();
    createHash('sha256').update(out).digest();
  }),
];
// One signature per backup: per-operation cost, not per GiB.
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const manifest = randomBytes(900 * 1024); // a manifest of ~10,000 parts
let t0 = process.hrtime.bigint();
let sig;
for (let i = 0; i < 100; i++) sig = sign(null, manifest, privateKey);
const signMs = Number(process.hrtime.bigint() - t0) / 1e6 / 100;
t0 = process.hrtime.bigint();
for (let i = 0; i < 100; i++) verify(null, manifest, publicKey, sig);
const verifyMs = Number(process.hrtime.bigint() - t0) / 1e6 / 100;
process.stdout.write(`ed25519 sign ${signMs.toFixed(2)} ms, verify ${verifyMs.toFixed(2)} ms per 900 KiB manifest\n`);
process.stdout.write(JSON.stringify({ rows, ed25519: { signMs, verifyMs } }) + '\n');
