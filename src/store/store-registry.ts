import { gcsBackend } from './gcs/gcs-backend.js';
import { localBackend } from './local/local-backend.js';
import { s3Backend } from './s3/s3-backend.js';
import type { BackendConfig, StoreBackend } from './store-backend.js';

/**
 * Every object-store backend, one line each. Adding one: a folder under src/store/ with its config
 * type, its StoreBackend entry and its ObjectStore, plus a line here (docs/object-stores.md).
 * The order is the order of help texts and messages.
 */
export const STORE_BACKENDS = [s3Backend, gcsBackend, localBackend] as const;

type Entry = (typeof STORE_BACKENDS)[number];
/** A validated store location, whichever backend: the union of the registered config types. */
export type StoreConfig = Entry extends StoreBackend<infer C> ? C : never;
export type StoreProvider = StoreConfig['provider'];

export function backendFor<C extends StoreConfig>(cfg: C): StoreBackend<C>;
export function backendFor(provider: string): StoreBackend<BackendConfig> | undefined;
export function backendFor(x: string | BackendConfig): StoreBackend<BackendConfig> | undefined {
  const provider = typeof x === 'string' ? x : x.provider;
  return (STORE_BACKENDS as unknown as readonly StoreBackend<BackendConfig>[]).find((b) => b.provider === provider);
}

export function backendForScheme(scheme: string): StoreBackend<BackendConfig> | undefined {
  return (STORE_BACKENDS as unknown as readonly StoreBackend<BackendConfig>[]).find((b) => b.scheme === scheme);
}

/** "file:///dir | s3://bucket/prefix?endpoint=URL&region=R | gs://bucket/prefix": for help texts. */
export function locationForms(sep = ' | '): string {
  return STORE_BACKENDS.map((b) => b.urlForm).join(sep);
}

/** "aws (S3 and compatible), gcp (Google Cloud Storage) or local (a local directory)". */
export function providerList(): string {
  const all = STORE_BACKENDS.map((b) => `${b.provider} (${b.title})`);
  return `${all.slice(0, -1).join(', ')} or ${all[all.length - 1]}`;
}

/** The location in messages (the backend's label); never a credential. */
export function labelOf(cfg: StoreConfig, backupPathPrefix: string): string {
  return (backendFor(cfg) as StoreBackend<StoreConfig>).label(cfg, backupPathPrefix);
}
