import { stringify } from 'yaml';
import { ConfigSource } from '../config/config-source.js';
import { LOCATION_KEYS, type LocationBehaviour, readLocationSettings } from '../config/location-settings.js';
import { ErrorCode, SnapstreamError } from '../errors.js';
import type { LocationConfig } from '../location/location-config.js';
import { parseLocationUrl } from '../location/parse-location-url.js';
import { isSecretKey, redactUrl } from '../redact.js';
import type { Location__Output } from '../wire/generated/snapstream/v1/Location.js';
import { STORE_BACKENDS } from '../store/store-registry.js';
import { type LocationGrants, authorizeLocation, describeWhere } from './location-grants.js';

/** The Location message as proto-loader decodes it (oneofs: true; generated from agent.proto). */
export type LocationMsg = Location__Output;

export interface ResolvedLocation {
  config: LocationConfig;
  /** VolumeSnapshotLocation flags (disableIncrementalBackups, ...) when the location came from a VSL. */
  behaviour?: LocationBehaviour;
  /** Safe to log and to put in job descriptions. */
  describe: string;
  /** Canonical identity for idempotency fingerprints (no secrets: LocationConfig never holds them). */
  identity: string;
}

/**
 * Turns a request's location (a URL string field or a Location message) into a validated
 * LocationConfig the request is allowed to use: a configured location by name, or a URL / VSL config
 * inside the agent's grants (location-grants.ts). Nothing is opened or dialled before this passes.
 */
export function resolveLocation(loc: LocationMsg | null | undefined, urlField: string, what: string, grants: LocationGrants): ResolvedLocation {
  if (loc && (loc.kind === 'name' || (loc.kind === undefined && loc.name))) {
    if (urlField !== '') throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${what}: give either the location URL field or location, not both`);
    const n = grants.named.get(loc.name ?? '');
    if (!n) {
      const names = [...grants.named.keys()];
      throw new SnapstreamError(
        ErrorCode.PERMISSION_DENIED,
        `${what}: no location named ${JSON.stringify(String(loc.name).slice(0, 64))} in the agent config; ` +
          (names.length ? `configured: ${names.join(', ')}` : 'add it under locations: in the agent config'),
        { details: { setting: 'locations' } },
      );
    }
    return { config: n.config, ...(n.behaviour ? { behaviour: n.behaviour } : {}), describe: n.describe, identity: `name:${n.name}:${JSON.stringify(n.config)}` };
  }
  const parsed = parseRequestLocation(loc, urlField, what);
  const config = authorizeLocation(parsed.config, grants, what);
  return { ...parsed, config, identity: JSON.stringify(config) };
}

/** Parses a URL field or a Location message (url / vsl) without any authorization. */
export function parseRequestLocation(loc: LocationMsg | null | undefined, urlField: string, what: string): ResolvedLocation {
  const hasMsg = loc !== null && loc !== undefined && (loc.kind === 'url' || loc.kind === 'vsl' || !!loc.url || !!loc.vsl);
  if (hasMsg && urlField !== '') {
    throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${what}: give either the location URL field or location, not both`);
  }
  if (!hasMsg) {
    if (urlField === '') {
      throw new SnapstreamError(ErrorCode.INVALID_LOCATION, `${what}: no location; set location.url (e.g. s3://bucket/prefix?region=...) or location.vsl.config`);
    }
    return fromUrl(urlField);
  }
  if (loc!.kind === 'url' || (loc!.kind === undefined && loc!.url)) return fromUrl(loc!.url ?? '');
  return fromVsl(loc!.vsl?.config ?? {}, what);
}

function fromUrl(url: string): ResolvedLocation {
  const config = parseLocationUrl(url);
  return { config, describe: redactUrl(url.split('?')[0]!), identity: JSON.stringify(config) };
}

/** Keys that look like secrets but are settings (a CA bundle, a key file's path): each backend names its own. */
const NOT_SECRETS = new Set(STORE_BACKENDS.flatMap((b) => b.settingsNotSecrets));

function fromVsl(config: Record<string, string>, what: string): ResolvedLocation {
  // Credentials have no place in a location (the SDK chains supply them); refuse rather than carry
  // them. caCert (a CA bundle) and credentialsFile (a path) are settings, not secrets: a request may
  // repeat them only as its grant has them (location-grants.ts decides, before anything is read).
  const secretKeys = Object.keys(config).filter((k) => isSecretKey(k) && !NOT_SECRETS.has(k));
  if (secretKeys.length > 0) {
    throw new SnapstreamError(
      ErrorCode.INVALID_LOCATION,
      `${what}: location config carries credential-like keys (${secretKeys.join(', ')}); the agent takes credentials ` +
        'only from its environment (a mounted Secret), never from requests',
    );
  }
  const known = new Set<string>(LOCATION_KEYS);
  const text = stringify(Object.fromEntries(Object.entries(config).filter(([k]) => known.has(k)).map(([k, v]) => [k, String(v)])), {
    defaultStringType: 'QUOTE_DOUBLE',
    defaultKeyType: 'PLAIN',
  });
  const src = new ConfigSource(`${what}.vsl.config`, text || '{}');
  const doc = src.documents[0];
  const entries = src.map(doc?.contents ?? null, `${what}.vsl.config`) ?? [];
  const unknown = Object.keys(config).filter((k) => !known.has(k));
  const read = readLocationSettings(src, entries, doc?.contents as never, `${what}.vsl.config`, true);
  if (unknown.length > 0) {
    throw new SnapstreamError(ErrorCode.INVALID_LOCATION, `${what}.vsl.config has unknown keys: ${unknown.join(', ')} (known: ${LOCATION_KEYS.join(', ')})`);
  }
  if (src.problems.length > 0 || !read) {
    const msg = src.problems.map((p) => p.message).join('; ') || 'invalid location config';
    throw new SnapstreamError(ErrorCode.INVALID_LOCATION, msg);
  }
  const describe = describeWhere(read.location);
  return { config: read.location, behaviour: read.behaviour, describe, identity: JSON.stringify(read.location) };
}
