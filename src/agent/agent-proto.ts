import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoDir } from '../proto-dir.js';

/**
 * The .proto ships in the package (proto/) and is loaded at run time: no generated code to keep in
 * sync, and Go clients generate theirs from the very same file (protoDir() says where it is).
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

export function loadAgentProto(): { packageDefinition: protoLoader.PackageDefinition; service: grpc.ServiceDefinition; client: grpc.ServiceClientConstructor } {
  const packageDefinition = protoLoader.loadSync(AGENT_PROTO_PATH, LOADER_OPTIONS);
  const pkg = grpc.loadPackageDefinition(packageDefinition) as unknown as {
    snapstream: { v1: { Agent: grpc.ServiceClientConstructor } };
  };
  const client = pkg.snapstream.v1.Agent;
  return { packageDefinition, service: client.service, client };
}
