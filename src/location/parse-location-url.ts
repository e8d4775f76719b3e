import { parseBoolean } from '../parse/parse-boolean.js';
import { didYouMean } from '../parse/did-you-mean.js';
import { parseQuantityBytes } from '../parse/parse-quantity.js';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { LocationConfig, StoreConfig } from './location-config.js';
import { redactUrl } from '../redact.js';
import type { StoreBackend } from '../store/store-backend.js';
import { STORE_BACKENDS, backendForScheme } from '../store/store-registry.js';

/** Query parameters every location URL takes; each backend adds its own (StoreBackend.urlParams). */
const COMMON_PARAMS = ['partSize', 'prefix', 'dedup'] as const;

/**
 * Parses a location URL, e.g.
 *   file:///var/backups            (or a plain absolute path)  a local directory
 *   s3://bucket[/path]?endpoint=http://127.0.0.1:7480&region=us-east-1&forcePathStyle=true
 *   gs://bucket[/path]?project=my-project[&credentialsFile=/secrets/key.json][&parallelUpload=true]
 * The scheme picks the backend (store-registry.ts), which reads its own parameters. The URL path is
 * the backupPathPrefix (except for file://, where it is the directory). Credentials never go in the
 * URL: they come from the SDKs' default chains (AWS_* env, ~/.aws profiles,
 * GOOGLE_APPLICATION_CREDENTIALS, workload identity).
 */
export function parseLocationUrl(input: string): LocationConfig {
  const bad = (why: string, fix: string): never => {
    throw new SnapstreamError(ErrorCode.INVALID_LOCATION, `location ${JSON.stringify(redactUrl(String(input)))} ${why}; ${fix}`);
  };
  const forms = `give ${orList(STORE_BACKENDS.map((b) => b.urlForm.split('?')[0]!))}`;
  if (typeof input !== 'string' || input.trim() === '') bad('is empty', forms);
  if (input.startsWith('/')) input = 'file://' + input;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return bad('is not a URL', forms);
  }
  if (url.username || url.password) bad('contains credentials', 'remove them; use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile');
  const params = new Map<string, string>();
  for (const [k, v] of url.searchParams) {
    if (params.has(k)) bad(`repeats the parameter "${k}"`, 'give it once');
    params.set(k, v);
  }
  const pathPrefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '');
  const partSize = params.has('partSize') ? parseQuantityBytes('partSize', params.get('partSize')!) : undefined;
  const backend = backendForScheme(url.protocol.replace(/:$/, '')) as StoreBackend<StoreConfig> | undefined;
  if (!backend) {
    return bad(`has an unsupported scheme "${url.protocol}"`, `use ${orList(STORE_BACKENDS.map((b) => `${b.scheme}://`))}`);
  }
  const known = [...backend.urlParams, ...COMMON_PARAMS];
  for (const k of params.keys()) {
    if (!known.includes(k)) {
      const dym = didYouMean(k, known);
      bad(`has an unknown parameter "${k}"`, dym ? `did you mean "${dym}"?` : `known parameters: ${known.join(', ')}`);
    }
  }
  const bool = (name: string, dflt: boolean): boolean => (params.has(name) ? parseBoolean(name, params.get(name)!) : dflt);
  const parsed = backend.parseUrl({ url, params, bool, bad });
  // h15-dedup: opt-in deduplicated layout for new backups (restore reads either layout whatever it says).
  const dedup = bool('dedup', false);
  return {
    store: parsed.store,
    layout: { backupPathPrefix: parsed.backupPathPrefix ?? pathPrefix, prefix: params.get('prefix') ?? '' },
    partSize,
    ...(dedup ? { dedup } : {}),
  };
}

function orList(items: string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** A location for logs and errors: the one redactor (src/redact.ts). */
export function redactLocation(s: string): string {
  return redactUrl(String(s));
}
