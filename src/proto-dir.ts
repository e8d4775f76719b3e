import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding the shipped .proto files. Normally proto/ of the package (src/ and dist/ sit
 * one level below it); the single-executable Velero plugin has no package directory, so it unpacks
 * its embedded protos and points SNAPSTREAM_PROTO_DIR at them before anything loads a proto.
 */
export function protoDir(): string {
  const fromEnv = process.env.SNAPSTREAM_PROTO_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../proto');
}
