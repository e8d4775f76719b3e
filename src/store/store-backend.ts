import type { Logger } from 'pino';
import type { ObjectStore } from './object-store.js';
import type { StoreEnv } from './store-env.js';

/** What every backend's config has: the `provider` it is registered under. */
export interface BackendConfig {
  provider: string;
}

/** A location URL of a backend's scheme, with the query checked for repeats and unknown names. */
export interface UrlInput {
  url: URL;
  params: ReadonlyMap<string, string>;
  /** A boolean query parameter (true/false/1/0/yes/no), `dflt` when absent; a bad value throws. */
  bool(name: string, dflt: boolean): boolean;
  /** Throws INVALID_LOCATION naming the URL (redacted), why, and the fix. */
  bad(why: string, fix: string): never;
}

export interface ParsedUrl<C> {
  store: C;
  /** The layout's backupPathPrefix, where the URL path means something else (a directory); default: the URL path. */
  backupPathPrefix?: string;
}

/** The store keys of a VolumeSnapshotLocation (or standalone location), as a backend reads them. */
export interface VslInput {
  /** Where the keys are, for messages ("spec.config", "locations[0]"). */
  what: string;
  get(key: string): string | undefined;
  /** The key's value; reports it missing (naming `example`) and returns undefined when absent. */
  required(key: string, example: string): string | undefined;
  bool(key: string, dflt: boolean): boolean;
  /** Reports a problem at the key's value (or at the location when the key is absent). */
  report(key: string | undefined, message: string): void;
  /** Reports a problem at the key itself (the key is wrong here, whatever its value). */
  reportKey(key: string, message: string): void;
}

export interface OpenDeps {
  log: Logger;
  /** Sockets to keep per host (upload concurrency plus restore window). */
  maxSockets?: number;
  /** The environment as read once at the edge (store-env.ts). */
  env: StoreEnv;
}

/**
 * One object-store backend, registered in store-registry.ts. It owns everything about its kind of
 * location: the config type, the URL scheme and its query parameters, the VolumeSnapshotLocation
 * keys, the label in messages, the help text, what to redact, and how to open the store. Nothing
 * outside its folder names a provider (docs/object-stores.md, "Adding a backend").
 */
export interface StoreBackend<C extends BackendConfig = BackendConfig> {
  /** The VSL `provider` value and StoreConfig.provider ("aws", "gcp", "local"). */
  readonly provider: C['provider'];
  /** What the provider is, for messages: "S3 and compatible". */
  readonly title: string;
  /** The URL scheme, without ':' ("s3", "gs", "file"). */
  readonly scheme: string;
  /** The URL form for help and error messages: "s3://bucket/prefix?endpoint=URL&region=R". */
  readonly urlForm: string;
  /** Query parameters the URL takes, besides the common partSize and prefix. */
  readonly urlParams: readonly string[];
  parseUrl(input: UrlInput): ParsedUrl<C>;
  /** VSL keys this provider takes, besides the common ones (backupPathPrefix, prefix, ...). */
  readonly vslKeys: readonly string[];
  readVsl(input: VslInput): C | undefined;
  /** VSL keys that name a credential's location or a trust anchor, not a secret, though they look like one. */
  readonly settingsNotSecrets: readonly string[];
  /** Log field names that carry this backend's credentials (pino censors them at any depth). */
  readonly secretFields: readonly string[];
  /** The location in messages, never a credential: "s3://bucket/prefix at endpoint http://...". */
  label(cfg: C, backupPathPrefix: string): string;
  /** The bare backend; openStore() decorates it. Loads its SDK on demand. */
  open(cfg: C, deps: OpenDeps): Promise<ObjectStore>;
}
