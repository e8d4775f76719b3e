import { createRequire } from 'node:module';
import type { XMLParser } from 'fast-xml-parser';

/**
 * An S3 error as the SDK raises it: `name` the error document's <Code>, `message` its <Message>,
 * `$metadata.httpStatusCode` the status. S3Store.mapError classifies errors by exactly these fields,
 * so answers that skip the SDK (S3Direct, S3Control) are mapped by the same code to the same
 * ErrorCodes and messages. The fallbacks are the SDK's (@aws-sdk/core's REST-XML protocol): a body
 * without <Code> is "NotFound" for a 404 and "Unknown" otherwise (HEAD answers have no body), a
 * missing or empty <Message> is "UnknownError".
 */
export class S3ServiceError extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(name: string, message: string, status: number) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
  }
}

export function s3ServiceError(status: number, body: string): S3ServiceError {
  // As the SDK reads it: the root element's content, or its <Error> child (<ErrorResponse><Error>).
  const root = body.trim() === '' ? undefined : xmlRoot(parseS3Xml(body));
  const err = (root?.Error !== null && typeof root?.Error === 'object' ? root.Error : root) as Record<string, unknown> | undefined;
  // An empty element counts as absent, as in the SDK (radosgw sends <Message></Message>).
  const code = typeof err?.Code === 'string' && err.Code !== '' ? err.Code : undefined;
  const message = typeof err?.Message === 'string' && err.Message !== '' ? err.Message : undefined;
  return new S3ServiceError(code ?? (status === 404 ? 'NotFound' : 'Unknown'), message ?? 'UnknownError', status);
}

let parser: XMLParser | undefined;

/**
 * Parses an S3 XML answer (error documents, InitiateMultipartUploadResult,
 * CompleteMultipartUploadResult) with fast-xml-parser, the parser the SDK itself uses. Values stay
 * strings (an ETag or UploadId must not become a number), entities are decoded (ETags come as
 * &quot;...&quot;). Unparseable text yields {} (callers then find no field and say so).
 * Loaded through require, on first use: the package's CommonJS build is one file (~1.4 MiB RSS,
 * 10 ms), its ESM entry a tree of modules (~10 MiB, 50 ms).
 */
export function parseS3Xml(text: string): Record<string, unknown> {
  parser ??= new (createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser')).XMLParser({
    ignoreAttributes: true,
    ignoreDeclaration: true,
    parseTagValue: false,
    trimValues: true,
    processEntities: true,
  });
  try {
    const v = parser.parse(text) as unknown;
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The content of the document's root element, when it has child elements. */
export function xmlRoot(doc: Record<string, unknown>): Record<string, unknown> | undefined {
  const root = Object.values(doc)[0];
  return root !== null && typeof root === 'object' ? (root as Record<string, unknown>) : undefined;
}

/** Text for an XML element's content. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${({ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' })[c]};`);
}
