import { redactUrl } from '../../redact.js';
import { urlBucket, vslBucket } from '../bucket-name.js';
import type { StoreBackend, UrlInput, VslInput } from '../store-backend.js';
import type { S3StoreConfig } from './s3-config.js';

/** S3 and S3-compatible servers (AWS, MinIO, Ceph radosgw, Swift s3api). */
export const s3Backend: StoreBackend<S3StoreConfig> = {
  provider: 'aws',
  title: 'S3 and compatible',
  scheme: 's3',
  urlForm: 's3://bucket/prefix?endpoint=URL&region=R',
  urlParams: ['endpoint', 'region', 'forcePathStyle', 'profile', 'insecureSkipTLSVerify', 'checksums'],
  vslKeys: ['bucket', 'region', 'profile', 's3Url', 's3ForcePathStyle', 'DisableSSL', 'insecureSkipTLSVerify', 'caCert'],
  // caCert is a CA bundle (public), not a key; a request may repeat it only as its grant has it.
  settingsNotSecrets: ['caCert'],
  secretFields: ['secretKey', 'secretAccessKey', 'secret_access_key', 'accessKeyId', 'sessionToken', 'session_token', 'caCert'],

  parseUrl(u: UrlInput) {
    const bucket = urlBucket(u);
    const endpoint = u.params.get('endpoint');
    if (endpoint !== undefined) checkEndpoint(endpoint, u);
    const checksums = (u.params.get('checksums') ?? 'WHEN_REQUIRED') as S3StoreConfig['checksums'];
    if (checksums !== 'WHEN_REQUIRED' && checksums !== 'WHEN_SUPPORTED') u.bad(`has checksums=${checksums}`, 'use WHEN_REQUIRED or WHEN_SUPPORTED');
    const region = u.params.get('region');
    const profile = u.params.get('profile');
    return {
      store: {
        provider: 'aws',
        bucket,
        ...(region !== undefined ? { region } : {}),
        ...(endpoint !== undefined ? { endpoint } : {}),
        forcePathStyle: u.bool('forcePathStyle', endpoint !== undefined),
        ...(profile !== undefined ? { profile } : {}),
        insecureSkipTLSVerify: u.bool('insecureSkipTLSVerify', false),
        checksums,
      },
    };
  },

  readVsl(v: VslInput) {
    const bucket = vslBucket(v);
    const region = v.required('region', 'us-east-1; any value for MinIO or Ceph');
    const disableSsl = v.bool('DisableSSL', false);
    let endpoint: string | undefined;
    const s3Url = v.get('s3Url');
    if (s3Url !== undefined) {
      endpoint = readEndpoint(v, s3Url, disableSsl);
    } else if (disableSsl) {
      v.reportKey('DisableSSL', 'DisableSSL: "true" needs s3Url (plain HTTP to AWS itself is not supported); set s3Url: "http://host:port"');
    }
    const ca = v.get('caCert');
    const caCertPem = ca !== undefined ? decodeCaCert(v, ca) : undefined;
    const profile = v.get('profile');
    if (bucket === undefined || region === undefined) return undefined;
    return {
      provider: 'aws',
      bucket,
      region,
      forcePathStyle: v.bool('s3ForcePathStyle', false),
      insecureSkipTLSVerify: v.bool('insecureSkipTLSVerify', false),
      checksums: 'WHEN_REQUIRED',
      ...(endpoint !== undefined ? { endpoint } : {}),
      ...(profile !== undefined && profile !== '' ? { profile } : {}),
      ...(caCertPem !== undefined ? { caCertPem } : {}),
    };
  },

  label(cfg, backupPathPrefix) {
    return `s3://${cfg.bucket}/${backupPathPrefix}${cfg.endpoint ? ` at endpoint ${redactUrl(cfg.endpoint)}` : ' at AWS'}`;
  },

  async open(cfg, deps) {
    // Loaded on demand: the AWS SDK is a large share of startup time and memory.
    const { S3Store } = await import('./s3-store.js');
    return new S3Store({ ...cfg, region: cfg.region ?? deps.env.awsRegion ?? 'us-east-1' }, {
      root: '',
      log: deps.log,
      knobs: deps.env.s3Knobs,
      ...(deps.maxSockets ? { maxSockets: deps.maxSockets } : {}),
    });
  },
};

function checkEndpoint(endpoint: string, u: UrlInput): void {
  let e: URL | undefined;
  try {
    e = new URL(endpoint);
  } catch {
    // falls through to the refusal below
  }
  if (!e || (e.protocol !== 'http:' && e.protocol !== 'https:')) {
    u.bad(`has endpoint ${JSON.stringify(redactUrl(endpoint))}, which is not an http(s) URL`, 'give e.g. endpoint=https://minio.example:9000');
  }
  // A key pair in the endpoint would be sent nowhere (the SDK ignores it) but logged everywhere.
  if (e!.username || e!.password) u.bad('has credentials in its endpoint', 'remove them from endpoint=; credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile or the workload identity');
  if (e!.search || e!.hash) u.bad('has a query or fragment in its endpoint', 'give only scheme://host[:port][/path]');
}

/**
 * s3Url as the plugin takes it: a URL, or host[:port] whose scheme DisableSSL decides. An explicit
 * "https://" together with DisableSSL is contradictory and refused rather than guessed.
 */
function readEndpoint(v: VslInput, raw: string, disableSsl: boolean): string | undefined {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
  const text = hasScheme ? raw : `${disableSsl ? 'http' : 'https'}://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    v.report('s3Url', `s3Url: "${redactUrl(raw)}" is not a valid URL; write e.g. "https://minio.example:9000"`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    v.report('s3Url', `s3Url: "${redactUrl(raw)}" must use http or https`);
    return undefined;
  }
  if (disableSsl && url.protocol === 'https:') {
    v.report('s3Url', `s3Url: "${redactUrl(raw)}" says https but DisableSSL is true; use "http://${url.host}" or drop DisableSSL`);
    return undefined;
  }
  if (url.username !== '' || url.password !== '') {
    v.report('s3Url', 's3Url must not contain credentials; they come from the environment, a profile or the workload identity');
    return undefined;
  }
  if (url.search !== '' || url.hash !== '') {
    v.report('s3Url', `s3Url: "${redactUrl(raw)}" must not have a query or fragment`);
    return undefined;
  }
  return url.pathname === '/' ? url.origin : `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function decodeCaCert(v: VslInput, b64: string): string | undefined {
  const compact = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    v.report('caCert', 'caCert must be a base64-encoded PEM bundle (e.g. the output of `base64 -w0 ca.pem`)');
    return undefined;
  }
  const pem = Buffer.from(compact, 'base64').toString('utf8');
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(pem)) {
    v.report('caCert', 'caCert decodes to something that is not a PEM certificate (expected "-----BEGIN CERTIFICATE-----")');
    return undefined;
  }
  return pem;
}
