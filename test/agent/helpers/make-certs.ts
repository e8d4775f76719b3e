import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestPki {
  dir: string;
  caFile: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a different CA: the agent must refuse it. */
  rogueCert: string;
  rogueKey: string;
  /** From the right CA but serverAuth only (like another node's agent certificate). */
  serverOnlyCert: string;
  serverOnlyKey: string;
  /**
   * From the right CA with no extended key usage at all (valid for any purpose to OpenSSL, so the
   * TLS handshake accepts it; e.g. a server certificate issued without EKU). The agent refuses it.
   */
  noEkuCert: string;
  noEkuKey: string;
  /** From the right CA, clientAuth, but an identity no agent config lists (CN=stranger). */
  strangerCert: string;
  strangerKey: string;
  /** From the right CA, clientAuth, SAN DNS reader.snapstream.test: the agent lists it as a reader. */
  readerCert: string;
  readerKey: string;
  read(file: string): Buffer;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function ca(dir: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`], dir);
}

function leaf(dir: string, caName: string, name: string, ext: string): void {
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], dir);
  openssl(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`, '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`],
    dir,
  );
}

/**
 * A throwaway PKI: CA, server cert for 127.0.0.1/localhost, a client cert (CN=client), and the certs
 * the authorization tests present: a rogue CA's client, a server-only cert, an unlisted client and a
 * reader. The agent lists `cn:client` as operator and `dns:reader.snapstream.test` as reader
 * (TEST_CLIENT_FLAGS).
 */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'snapstream-pki-'));
  ca(dir, 'ca');
  ca(dir, 'rogue-ca');
  leaf(dir, 'ca', 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  leaf(dir, 'ca', 'client', 'extendedKeyUsage=clientAuth\n');
  leaf(dir, 'rogue-ca', 'rogue', 'extendedKeyUsage=clientAuth\n');
  leaf(dir, 'ca', 'server-only', 'subjectAltName=DNS:node-2.snapstream.test\nextendedKeyUsage=serverAuth\n');
  leaf(dir, 'ca', 'no-eku', 'subjectAltName=DNS:node-3.snapstream.test\n');
  leaf(dir, 'ca', 'stranger', 'extendedKeyUsage=clientAuth\n');
  leaf(dir, 'ca', 'reader', 'subjectAltName=DNS:reader.snapstream.test\nextendedKeyUsage=clientAuth\n');
  const f = (n: string) => path.join(dir, n);
  return {
    dir,
    caFile: f('ca.crt'),
    serverCert: f('server.crt'),
    serverKey: f('server.key'),
    clientCert: f('client.crt'),
    clientKey: f('client.key'),
    rogueCert: f('rogue.crt'),
    rogueKey: f('rogue.key'),
    serverOnlyCert: f('server-only.crt'),
    serverOnlyKey: f('server-only.key'),
    noEkuCert: f('no-eku.crt'),
    noEkuKey: f('no-eku.key'),
    strangerCert: f('stranger.crt'),
    strangerKey: f('stranger.key'),
    readerCert: f('reader.crt'),
    readerKey: f('reader.key'),
    read: (file) => readFileSync(file),
  };
}

/** Agent flags granting the test PKI's client (operator) and reader; the stranger stays unlisted. */
export const TEST_CLIENT_FLAGS = ['--allow-client', 'cn:client=operator', '--allow-client', 'dns:reader.snapstream.test=reader'];
