import path from 'node:path';
import { parseBoolean } from '../parse/parse-boolean.js';
import { didYouMean } from '../parse/did-you-mean.js';
import { parseQuantityBytes } from '../parse/parse-quantity.js';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { LocationConfig } from './location-config.js';
import { redactUrl } from '../redact.js';

const S3_PARAMS = ['endpoint', 'region', 'forcePathStyle', 'profile', 'insecureSkipTLSVerify', 'checksums', 'partSize', 'prefix', 'dedup'] as const;
const GS_PARAMS = ['project', 'credentialsFile', 'parallelUpload', 'partSize', 'prefix', 'dedup'] as const;
const FILE_PARAMS = ['partSize', 'prefix', 'dedup'] as const;

/**
 * Parses a location URL:
 *   file:///var/backups            (or a plain absolute path)  a local directory
 *   s3://bucket[/path]?endpoint=http://127.0.0.1:7480&region=us-east-1&forcePathStyle=true
 *   gs://bucket[/path]?project=my-project[&credentialsFile=/secrets/key.json][&parallelUpload=true]
 * The URL path is the backupPathPrefix. Credentials never go in the URL: they come from the SDKs'
 * default chains (AWS_* env, ~/.aws profiles, GOOGLE_APPLICATION_CREDENTIALS, workload identity).
 */
export function parseLocationUrl(input: string): LocationConfig {
  const bad = (why: string, fix: string): never => {
    throw new SnapstreamError(ErrorCode.INVALID_LOCATION, `location ${JSON.stringify(redactUrl(String(input)))} ${why}; ${fix}`);
  };
  if (typeof input !== 'string' || input.trim() === '') bad('is empty', 'give file:///dir, s3://bucket/prefix or gs://bucket/prefix');
  if (input.startsWith('/')) input = 'file://' + input;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return bad('is not a URL', 'give file:///dir, s3://bucket/prefix or gs://bucket/prefix');
  }
  if (url.username || url.password) bad('contains credentials', 'remove them; use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile');
  const params = new Map<string, string>();
  for (const [k, v] of url.searchParams) {
    if (params.has(k)) bad(`repeats the parameter "${k}"`, 'give it once');
    params.set(k, v);
  }
  const allow = (known: readonly string[]) => {
    for (const k of params.keys()) {
      if (!known.includes(k)) {
        const dym = didYouMean(k, known);
        bad(`has an unknown parameter "${k}"`, dym ? `did you mean "${dym}"?` : `known parameters: ${known.join(', ')}`);
      }
    }
  };
  const pathPrefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  const partSize = params.has('partSize') ? parseQuantityBytes('partSize', params.get('partSize')!) : undefined;
  const layout = { backupPathPrefix: pathPrefix, prefix: params.get('prefix') ?? '' };
  // h15-dedup: opt-in deduplicated layout for new backups (restore reads either layout whatever it says).
  const dedup = params.has('dedup') ? parseBoolean('dedup', params.get('dedup')!) : undefined;
  switch (url.protocol) {
    case 'file:': {
      allow(FILE_PARAMS);
      if (url.host !== '' && url.host !== 'localhost') bad('names a host', 'use file:///absolute/path (three slashes)');
      const dir = path.resolve(decodeURIComponent(url.pathname));
      return { store: { provider: 'local', path: dir }, layout: { backupPathPrefix: '', prefix: layout.prefix }, partSize, ...(dedup ? { dedup } : {}) };
    }
    case 's3:': {
      allow(S3_PARAMS);
      const bucket = url.hostname;
      checkBucket(bucket, bad);
      const endpoint = params.get('endpoint');
      if (endpoint !== undefined) {
        let e: URL | undefined;
        try {
          e = new URL(endpoint);
        } catch {
          // falls through to the refusal below
        }
        if (!e || (e.protocol !== 'http:' && e.protocol !== 'https:')) {
          bad(`has endpoint ${JSON.stringify(redactUrl(endpoint))}, which is not an http(s) URL`, 'give e.g. endpoint=https://minio.example:9000');
        }
        // A key pair in the endpoint would be sent nowhere (the SDK ignores it) but logged everywhere.
        if (e!.username || e!.password) bad('has credentials in its endpoint', 'remove them from endpoint=; credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile or the workload identity');
        if (e!.search || e!.hash) bad('has a query or fragment in its endpoint', 'give only scheme://host[:port][/path]');
      }
      const checksums = (params.get('checksums') ?? 'WHEN_REQUIRED') as 'WHEN_REQUIRED' | 'WHEN_SUPPORTED';
      if (checksums !== 'WHEN_REQUIRED' && checksums !== 'WHEN_SUPPORTED') bad(`has checksums=${checksums}`, 'use WHEN_REQUIRED or WHEN_SUPPORTED');
      return {
        store: {
          provider: 'aws',
          bucket,
          region: params.get('region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
          endpoint,
          forcePathStyle: params.has('forcePathStyle') ? parseBoolean('forcePathStyle', params.get('forcePathStyle')!) : endpoint !== undefined,
          profile: params.get('profile'),
          insecureSkipTLSVerify: params.has('insecureSkipTLSVerify') ? parseBoolean('insecureSkipTLSVerify', params.get('insecureSkipTLSVerify')!) : false,
          checksums,
        },
        layout,
        partSize,
        ...(dedup ? { dedup } : {}),
      };
    }
    case 'gs:': {
      allow(GS_PARAMS);
      const bucket = url.hostname;
      checkBucket(bucket, bad);
      const keyFile = params.get('credentialsFile');
      if (keyFile !== undefined && !keyFile.startsWith('/')) {
        bad(`has credentialsFile=${keyFile}, which is not an absolute path`, 'give the absolute path of a service-account key file, or leave it out to use Application Default Credentials');
      }
      return {
        store: {
          provider: 'gcp',
          bucket,
          projectId: params.get('project'),
          keyFile,
          parallelUpload: params.has('parallelUpload') ? parseBoolean('parallelUpload', params.get('parallelUpload')!) : false,
        },
        layout,
        partSize,
        ...(dedup ? { dedup } : {}),
      };
    }
    default:
      return bad(`has an unsupported scheme "${url.protocol}"`, 'use file://, s3:// or gs://');
  }
}

function checkBucket(bucket: string, bad: (why: string, fix: string) => never): void {
  if (!/^[a-z0-9][a-z0-9.\-_]{1,221}[a-z0-9]$/.test(bucket)) {
    bad(`has an invalid bucket name ${JSON.stringify(bucket)}`, 'bucket names are 3-63 lowercase letters, digits, "-" and "."');
  }
}

/** A location for logs and errors: the one redactor (src/redact.ts). */
export function redactLocation(s: string): string {
  return redactUrl(String(s));
}
