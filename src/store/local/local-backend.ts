import path from 'node:path';
import type { StoreBackend, UrlInput, VslInput } from '../store-backend.js';
import type { LocalStoreConfig } from './local-config.js';

/** A local directory (also NFS) acting as the bucket. */
export const localBackend: StoreBackend<LocalStoreConfig> = {
  provider: 'local',
  title: 'a local directory',
  scheme: 'file',
  urlForm: 'file:///dir',
  urlParams: [],
  vslKeys: ['path'],
  settingsNotSecrets: [],
  secretFields: [],

  parseUrl(u: UrlInput) {
    if (u.url.host !== '' && u.url.host !== 'localhost') u.bad('names a host', 'use file:///absolute/path (three slashes)');
    // The URL path is the directory, so there is no backupPathPrefix.
    return { store: { provider: 'local', path: path.resolve(decodeURIComponent(u.url.pathname)) }, backupPathPrefix: '' };
  },

  readVsl(v: VslInput) {
    const dir = v.required('path', '/var/backups/snapstream');
    if (dir === undefined) return undefined;
    if (!dir.startsWith('/')) {
      v.report('path', `${v.what}.path "${dir}" must be an absolute directory`);
      return undefined;
    }
    return { provider: 'local', path: dir.length > 1 ? dir.replace(/\/+$/, '') : dir };
  },

  label(cfg) {
    return `file://${cfg.path}`;
  },

  async open(cfg, deps) {
    const { LocalStore } = await import('./local-store.js');
    return new LocalStore(cfg.path, { log: deps.log, writebackBytes: deps.env.localWritebackBytes, directIo: deps.env.localDirectIo });
  },
};
