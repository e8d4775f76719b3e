import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { type AgentConfig, checkTransportSecurity } from './agent-config.js';

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/**
 * mTLS: the server presents its certificate and requires a client certificate signed by the
 * configured CA (checkClientCertificate = true); a client without one, or with one from another CA,
 * fails the handshake before any RPC runs. Plaintext only as checkTransportSecurity allows.
 */
export function serverCredentials(cfg: AgentConfig): grpc.ServerCredentials {
  checkTransportSecurity(cfg);
  if (cfg.insecurePlaintext) return grpc.ServerCredentials.createInsecure();
  const tls = cfg.tls!;
  return grpc.ServerCredentials.createSsl(
    read(tls.caFile, 'TLS CA file'),
    [{ cert_chain: read(tls.certFile, 'TLS certificate file'), private_key: read(tls.keyFile, 'TLS key file') }],
    true,
  );
}
