import * as grpc from '@grpc/grpc-js';
import { loadAgentProto } from '../../../src/wire/agent-proto.js';
import { decodeStatusReason } from '../../helpers/decode-status.js';

export type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

export function agentClient(port: number, creds: grpc.ChannelCredentials = grpc.credentials.createInsecure()): Client {
  const { client } = loadAgentProto();
  return new client(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': 'localhost' }) as unknown as Client;
}

export interface CallError extends grpc.ServiceError {
  /** The stable snapstream code from the trailers. */
  snapstreamCode: string;
  /** ErrorInfo.reason decoded from grpc-status-details-bin. */
  reason: string;
}

/** Promisified unary call with a deadline; errors carry the decoded snapstream code. */
export function call<T = any>(client: Client, method: string, req: unknown, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = client[method] as (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: T) => void) => void;
    fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (e, r) => {
      if (!e) return resolve(r);
      const err = e as CallError;
      err.snapstreamCode = String(e.metadata?.get('snapstream-error-code')[0] ?? '');
      const bin = e.metadata?.get('grpc-status-details-bin')[0];
      err.reason = Buffer.isBuffer(bin) ? decodeStatusReason(bin).reason : '';
      reject(err);
    });
  });
}

/** Collects every event of WatchJob until the stream ends. */
export function watch(client: Client, jobId: string, progressIntervalMs = 100): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const events: any[] = [];
    const stream = (client.WatchJob as (r: unknown) => grpc.ClientReadableStream<any>).call(client, { jobId, progressIntervalMs });
    stream.on('data', (e) => events.push(e));
    stream.on('end', () => resolve(events));
    stream.on('error', reject);
  });
}

/** Polls GetJob until the job reaches a terminal phase. */
export async function waitForJob(client: Client, jobId: string, timeoutMs = 120_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const j = await call(client, 'GetJob', { jobId });
    if (['PHASE_DONE', 'PHASE_FAILED', 'PHASE_INVALID'].includes(j.phase)) return j;
    if (Date.now() > until) throw new Error(`job ${jobId} still ${j.phase} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Polls GetJob until the job has moved more than `minBytes` and is still running, so a test acts
 * truly mid-transfer; throws if the job ends first or never gets there.
 */
export async function waitForBytes(client: Client, jobId: string, minBytes: number, timeoutMs = 20_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const j = await call(client, 'GetJob', { jobId });
    if (['PHASE_DONE', 'PHASE_FAILED', 'PHASE_INVALID'].includes(j.phase)) throw new Error(`job ${jobId} ended (${j.phase}) before ${minBytes} bytes moved`);
    if (j.phase === 'PHASE_IN_PROGRESS' && j.progress.bytes > minBytes) return j;
    if (Date.now() > until) throw new Error(`job ${jobId} moved only ${j.progress.bytes} bytes in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
