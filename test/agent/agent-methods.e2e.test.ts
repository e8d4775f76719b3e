import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentProto } from '../../src/wire/agent-proto.js';
import { createDataset, destroyDataset, getTestEnv, needs, uniqueName } from '../helpers/test-env.js';
import { type AgentProcess, startAgentProcess } from './helpers/agent-process.js';

/**
 * Every method of snapstream.v1.Agent, as the .proto lists them, is served by the real agent: each is
 * called with an empty request and must answer anything but UNIMPLEMENTED (which is what grpc-js
 * answers for a method the service implementation lacks, e.g. a misspelled handler). The methods come
 * from the loaded proto, not from a list here, so a new RPC without a handler fails this test.
 */
const env = getTestEnv();
let agent: AgentProcess;
let client: grpc.Client;
let root: string;

/** Calls one method by its definition; resolves with the status it ended with (OK included). */
function callEmpty(def: grpc.MethodDefinition<object, unknown>): Promise<{ code: grpc.status; details: string }> {
  const deadline = Date.now() + 20_000;
  return new Promise((resolve) => {
    if (def.responseStream) {
      const s = client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, {}, new grpc.Metadata(), { deadline });
      s.on('data', () => undefined);
      s.on('error', (e: grpc.ServiceError) => resolve({ code: e.code, details: e.details }));
      s.on('end', () => resolve({ code: grpc.status.OK, details: '' }));
    } else {
      client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, {}, new grpc.Metadata(), { deadline }, (e) =>
        resolve(e ? { code: e.code, details: e.details } : { code: grpc.status.OK, details: '' }),
      );
    }
  });
}

beforeAll(async () => {
  if (!needs('zfs')) return;
  root = await createDataset(env.zfsPool!, uniqueName('methods'));
  agent = await startAgentProcess(['--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', '--insecure-plaintext', '--allowed-pool', root]);
  client = new grpc.Client(`127.0.0.1:${agent.grpcPort}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(async () => {
  client?.close();
  await agent?.stop();
  if (root) await destroyDataset(root);
}, 60_000);

describe.skipIf(!needs('zfs'))('snapstream.v1.Agent', () => {
  it('serves every method the .proto lists (none answers UNIMPLEMENTED)', async () => {
    const methods = Object.entries(loadAgentProto().service);
    // The proto has 14 methods today; fewer would mean the list came from somewhere else.
    expect(methods.length).toBeGreaterThanOrEqual(14);
    const answers: Record<string, string> = {};
    for (const [name, def] of methods) {
      const r = await callEmpty(def as grpc.MethodDefinition<object, unknown>);
      answers[name] = r.code === grpc.status.UNIMPLEMENTED ? `UNIMPLEMENTED: ${r.details}` : grpc.status[r.code]!;
    }
    const unimplemented = Object.entries(answers).filter(([, a]) => a.startsWith('UNIMPLEMENTED'));
    expect(unimplemented, JSON.stringify(answers)).toEqual([]);
    // Empty requests are answered by the handlers themselves: validation errors, empty lists.
    expect(answers.Backup).toBe('INVALID_ARGUMENT');
    expect(answers.ListJobs).toBe('OK');
  });
});
