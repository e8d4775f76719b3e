import http from 'node:http';
import https from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { fromIni } from '@aws-sdk/credential-providers';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { BuildMiddleware } from '@smithy/types';
import type { ResolvedS3Config } from './s3-config.js';

export * from '@aws-sdk/client-s3';

/**
 * The AWS SDK side of S3Store, in a module of its own so that it is imported only when a call needs
 * it (S3Store.sdk()): lists, ListParts, and everything where SNAPSTREAM_S3_FAST_CONTROL=false or the
 * endpoint is one S3Direct cannot address. Loading it costs ~0.2 s of CPU and ~22 MiB of RSS.
 */
export function createS3Client(cfg: ResolvedS3Config, maxSockets: number): S3Client {
  const agentOpts = { keepAlive: true, maxSockets };
  return new S3Client({
    region: cfg.region,
    endpoint: cfg.endpoint,
    forcePathStyle: cfg.forcePathStyle,
    credentials: cfg.profile ? fromIni({ profile: cfg.profile }) : undefined,
    // Non-AWS servers reject (or, worse, store) aws-chunked bodies with flexible checksums.
    requestChecksumCalculation: cfg.checksums,
    responseChecksumValidation: cfg.checksums,
    // One attempt: the store's retry decorator is the only retry (src/store/decorators/), so a
    // part gets its policy's attempts, not those times the SDK's.
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent(agentOpts),
      httpsAgent: new https.Agent({
        ...agentOpts,
        rejectUnauthorized: !cfg.insecureSkipTLSVerify,
        ...(cfg.caCertPem ? { ca: cfg.caCertPem } : {}),
      }),
      connectionTimeout: 10_000,
      // Socket idle time: a server that stops answering fails the request instead of hanging.
      requestTimeout: 120_000,
    }),
  });
}

export const UNSIGNED_PAYLOAD_MW = { step: 'build', name: 'snapstreamUnsignedPayload', override: true } as const;

/** Marks the body as unsigned before the signer runs, so it does not hash it. */
export function unsignedPayload<I extends object, O extends object>(): BuildMiddleware<I, O> {
  return knownPayloadHash('UNSIGNED-PAYLOAD');
}

/** Declares the body's SHA-256 the caller computed: the signer signs it as is instead of hashing the body again. */
export function knownPayloadHash<I extends object, O extends object>(sha256: string): BuildMiddleware<I, O> {
  return (next) => async (args) => {
    const req = args.request as { headers?: Record<string, string> };
    if (req.headers) req.headers['x-amz-content-sha256'] = sha256;
    return next(args);
  };
}
