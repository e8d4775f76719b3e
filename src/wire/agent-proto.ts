import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoDir } from '../proto-dir.js';
import type { ProtoGrpcType } from './generated/agent.js';
import type { AgentClient, AgentDefinition, AgentHandlers } from './generated/snapstream/v1/Agent.js';

/**
 * The .proto ships in the package (proto/) and is loaded at run time, so Go clients generate theirs
 * from the very same file (protoDir() says where it is). The TypeScript types of its messages and of
 * the service are generated from it (`npm run gen:proto` -> src/wire/generated/, checked up to date by
 * test/unit/wire/agent-proto.generated.test.ts): a handler missing or misspelled, or a message field
 * of the wrong name or type, is a compile error on both sides (agent and controller).
 * LOADER_OPTIONS and the generator's flags must agree (longs Number, enums String, defaults, oneofs).
 */
export const AGENT_PROTO_PATH = path.join(protoDir(), 'snapstream/v1/agent.proto');
export const AGENT_SERVICE_NAME = 'snapstream.v1.Agent';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

export type { AgentClient, AgentHandlers };

type AgentMethod = keyof { [K in keyof AgentHandlers as string extends K ? never : K]: 0 };
/** The unary methods of snapstream.v1.Agent (every method but the server-streaming WatchJob). */
export type AgentUnaryMethod = { [K in AgentMethod]: AgentHandlers[K] extends grpc.handleServerStreamingCall<any, any> ? never : K }[AgentMethod];
/** What the agent's handler of method K receives (decoded, defaults filled) and returns. */
export type ServerRequest<K extends AgentUnaryMethod> = AgentHandlers[K] extends grpc.handleUnaryCall<infer Q, any> ? Q : never;
export type ServerResponse<K extends AgentUnaryMethod> = AgentHandlers[K] extends grpc.handleUnaryCall<any, infer R> ? R : never;
/** What a client sends for method K and gets back (decoded, defaults filled). */
export type ClientRequest<K extends AgentUnaryMethod> = AgentClient[K] extends (arg: infer A, cb: grpc.requestCallback<any>) => grpc.ClientUnaryCall ? A : never;
export type ClientResponse<K extends AgentUnaryMethod> = AgentClient[K] extends (arg: any, cb: grpc.requestCallback<infer R>) => grpc.ClientUnaryCall ? R : never;
export interface AgentClientConstructor {
  new (address: string, credentials: grpc.ChannelCredentials, options?: Partial<grpc.ChannelOptions>): AgentClient;
  service: AgentDefinition;
}

export function loadAgentProto(): { packageDefinition: protoLoader.PackageDefinition; service: AgentDefinition; client: AgentClientConstructor } {
  const packageDefinition = protoLoader.loadSync(AGENT_PROTO_PATH, LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(packageDefinition) as unknown as ProtoGrpcType;
  const client = pkg.snapstream.v1.Agent as unknown as AgentClientConstructor;
  return { packageDefinition, service: pkg.snapstream.v1.Agent.service, client };
}
