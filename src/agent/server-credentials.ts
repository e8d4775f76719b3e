import * as grpc from '@grpc/grpc-js';
import { MAX_PEM_BYTES, readCappedRegularFile } from '../util/read-capped-file.js';
import { type AgentConfig, checkTransportSecurity } from './agent-config.js';

/**
 * mTLS: the server presents its certificate and requires a client certificate signed by the
 * configured CA (checkClientCertificate = true); a client without one, or with one from another CA,
 * fails the handshake before any RPC runs. Which verified clients may call what is decided per RPC
 * by authorizeCalls (client-authz.ts). Plaintext only as checkTransportSecurity allows. The files are
 * read through readCappedRegularFile: a path naming /dev/zero or a FIFO fails at startup, cheaply.
 */
export async function serverCredentials(cfg: AgentConfig): Promise<grpc.ServerCredentials> {
  checkTransportSecurity(cfg);
  if (cfg.insecurePlaintext) return grpc.ServerCredentials.createInsecure();
  const tls = cfg.tls!;
  return grpc.ServerCredentials.createSsl(
    await readCappedRegularFile(tls.caFile, MAX_PEM_BYTES, 'tls.caFile'),
    [{ cert_chain: await readCappedRegularFile(tls.certFile, MAX_PEM_BYTES, 'tls.certFile'), private_key: await readCappedRegularFile(tls.keyFile, MAX_PEM_BYTES, 'tls.keyFile') }],
    true,
  );
}
