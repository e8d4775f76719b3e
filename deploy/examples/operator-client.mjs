#!/usr/bin/env node
// A minimal snapstream.v1.Agent client, for smoke-testing a deployed agent the way the operator
// drives it (and for the session shown in docs/agent.md). Requests and responses are JSON in the
// proto3 JSON field names (camelCase); enums print as names.
//
//   node deploy/examples/operator-client.mjs --addr HOST:PORT --ca ca.crt --cert tls.crt --key tls.key \
//        METHOD '{"json": "request"}'
//   node deploy/examples/operator-client.mjs ... WatchJob '{"jobId": "..."}'   # one line per event
//
// --plaintext instead of --ca/--cert/--key talks to an agent started with --insecure-plaintext.
// --server-name NAME checks the server certificate for NAME instead of the host in --addr.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../proto/snapstream/v1/agent.proto');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    addr: { type: 'string', default: '127.0.0.1:9443' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    plaintext: { type: 'boolean' },
    'server-name': { type: 'string' },
    timeout: { type: 'string', default: '60' },
  },
});
const [method, body = '{}'] = positionals;
if (!method) {
  process.stderr.write('usage: operator-client.mjs --addr HOST:PORT (--ca F --cert F --key F | --plaintext) METHOD [JSON]\n');
  process.exit(2);
}

const def = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true });
const Agent = grpc.loadPackageDefinition(def).snapstream.v1.Agent;
const creds = values.plaintext
  ? grpc.credentials.createInsecure()
  : grpc.credentials.createSsl(readFileSync(values.ca), readFileSync(values.key), readFileSync(values.cert));
const options = values['server-name'] ? { 'grpc.ssl_target_name_override': values['server-name'] } : {};
const client = new Agent(values.addr, creds, options);
if (typeof client[method] !== 'function') {
  process.stderr.write(`unknown method ${method}; methods: ${Object.keys(Agent.service).join(', ')}\n`);
  process.exit(2);
}

const request = JSON.parse(body);
const deadline = Date.now() + Number(values.timeout) * 1000;

function fail(e) {
  const code = e.metadata?.get('snapstream-error-code')[0] ?? '';
  process.stderr.write(`ERROR ${grpc.status[e.code]} (${code}): ${e.details}\n`);
  client.close();
  process.exitCode = 1;
}

if (Agent.service[method].responseStream) {
  const stream = client[method](request, { deadline });
  stream.on('data', (ev) => process.stdout.write(JSON.stringify(ev) + '\n'));
  stream.on('end', () => client.close());
  stream.on('error', fail);
} else {
  client[method](request, { deadline }, (e, res) => {
    if (e) return fail(e);
    process.stdout.write(JSON.stringify(res, null, 2) + '\n');
    client.close();
  });
}
