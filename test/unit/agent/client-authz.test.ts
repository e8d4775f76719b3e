import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ClientPolicy, decideCall, parseClientGrant, parseSubjectAltName, peerIdentity } from '../../../src/agent/client-authz.js';

const dir = mkdtempSync(path.join(tmpdir(), 'sstest-authz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function cert(subj: string, ext: string): Buffer {
  writeFileSync(path.join(dir, 'ext'), ext);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', subj, '-keyout', 'k', '-out', 'c.pem', '-extensions', 'v3', '-config', 'cnf'], {
    cwd: dir,
    stdio: 'ignore',
    input: '',
    env: { ...process.env },
  });
  const pem = readFileSync(path.join(dir, 'c.pem'), 'utf8');
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
writeFileSync(path.join(dir, 'cnf'), '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n.include ext\n');

const policy: ClientPolicy = {
  clients: [parseClientGrant({ identity: 'uri:spiffe://c/ns/openebs/sa/operator', role: 'operator' }, 'clients[0]'), parseClientGrant('dns:Reader.Example=reader', 'clients[1]')],
  allowAny: false,
  plaintext: false,
};

describe('client identities', () => {
  it('reads SAN DNS/URI and CN, and the clientAuth EKU, from a certificate', () => {
    const id = peerIdentity(cert('/CN=op/O=x', 'subjectAltName=DNS:a.example,URI:spiffe://c/ns/openebs/sa/operator\nextendedKeyUsage=clientAuth,serverAuth\n'));
    expect(id).toEqual({ identities: ['dns:a.example', 'uri:spiffe://c/ns/openebs/sa/operator', 'cn:op'], clientAuth: true });
    expect(peerIdentity(cert('/CN=srv', 'extendedKeyUsage=serverAuth\n')).clientAuth).toBe(false);
    expect(peerIdentity(cert('/CN=none', 'basicConstraints=CA:FALSE\n')).clientAuth).toBe(false);
    expect(parseSubjectAltName('DNS:a, URI:"spiffe://x,y", IP Address:127.0.0.1')).toEqual([
      { type: 'DNS', value: 'a' },
      { type: 'URI', value: 'spiffe://x,y' },
      { type: 'IP Address', value: '127.0.0.1' },
    ]);
  });

  it('decides per method: operator all, reader read-only, others refused naming the setting', () => {
    const op = { identities: ['cn:x', 'uri:spiffe://c/ns/openebs/sa/operator'], clientAuth: true };
    const rd = { identities: ['dns:reader.example'], clientAuth: true };
    for (const m of ['Backup', 'Restore', 'DeleteBackup', 'CreateSnapshot', 'DestroySnapshot', 'CancelJob', 'ListJobs', 'SomeFutureRpc']) expect(decideCall(m, op, policy).role).toBe('operator');
    for (const m of ['ListBackups', 'ListSnapshots', 'VerifyBackup', 'GetJob', 'ListJobs', 'WatchJob']) expect(decideCall(m, rd, policy).role).toBe('reader');
    for (const m of ['Backup', 'Restore', 'DeleteBackup', 'CreateSnapshot', 'DestroySnapshot', 'CancelJob', 'Cleanup', 'SomeFutureRpc']) {
      expect(() => decideCall(m, rd, policy), m).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED', message: expect.stringMatching(/role reader.*clients/) }));
    }
    expect(() => decideCall('ListJobs', { identities: ['cn:stranger'], clientAuth: true }, policy)).toThrow(/cn:stranger is not listed in the agent's clients/);
    expect(() => decideCall('ListJobs', { ...op, clientAuth: false }, policy)).toThrow(/lacks the clientAuth extended key usage/);
    expect(() => decideCall('ListJobs', undefined, policy)).toThrow(/no verified client certificate/);
    // allowAnyClient still needs clientAuth; plaintext (loopback development) has no certificate to check.
    expect(() => decideCall('Backup', { identities: [], clientAuth: false }, { ...policy, allowAny: true })).toThrow(/clientAuth/);
    expect(decideCall('Backup', { identities: ['cn:any'], clientAuth: true }, { ...policy, allowAny: true }).role).toBe('operator');
    expect(decideCall('Backup', undefined, { ...policy, plaintext: true }).role).toBe('operator');
  });

  it('parses client entries strictly', () => {
    expect(parseClientGrant('uri:spiffe://a/b=operator', 'x')).toEqual({ identity: 'uri:spiffe://a/b', role: 'operator' });
    expect(() => parseClientGrant({ identity: 'client', role: 'operator' }, 'clients[0]')).toThrow(/dns:NAME/);
    expect(() => parseClientGrant({ identity: 'cn:x', role: 'admin' }, 'clients[0]')).toThrow(/operator .* or reader/);
    expect(() => parseClientGrant({ identity: 'cn:x', role: 'reader', extra: 1 }, 'clients[0]')).toThrow(/unknown key/);
  });
});

describe('who may call Inventory', () => {
  it('a reader may (it only reads); an unlisted client may not', async () => {
    const { decideCall } = await import('../../../src/agent/client-authz.js');
    const policy = { clients: [{ identity: 'cn:viewer', role: 'reader' as const }], allowAny: false, plaintext: false };
    expect(decideCall('Inventory', { identities: ['cn:viewer'], clientAuth: true }, policy).role).toBe('reader');
    expect(() => decideCall('Backup', { identities: ['cn:viewer'], clientAuth: true }, policy)).toThrow();
    expect(() => decideCall('Inventory', { identities: ['cn:stranger'], clientAuth: true }, policy)).toThrow();
  });
});
