import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseLocationUrl } from '../../../src/location/parse-location-url.js';
import { SECRET_FIELDS } from '../../../src/secret-fields.js';
import { STORE_BACKENDS, backendFor, backendForScheme, labelOf, locationForms } from '../../../src/store/store-registry.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Keeps docs/object-stores.md ("Adding a backend") true: every registered backend provides every
 * hook, owns a folder, and is reachable through the generic code paths without a provider switch.
 */
describe('the store registry', () => {
  it('every entry provides every hook of StoreBackend', () => {
    const hooks = ['provider', 'title', 'scheme', 'urlForm', 'urlParams', 'parseUrl', 'vslKeys', 'readVsl', 'settingsNotSecrets', 'secretFields', 'label', 'open'];
    for (const b of STORE_BACKENDS) {
      for (const h of hooks) expect((b as unknown as Record<string, unknown>)[h], `${b.provider}.${h}`).toBeDefined();
      for (const f of ['parseUrl', 'readVsl', 'label', 'open'] as const) expect(typeof b[f], `${b.provider}.${f}`).toBe('function');
      expect(backendFor(b.provider)).toBe(b);
      expect(backendForScheme(b.scheme)).toBe(b);
    }
    expect(new Set(STORE_BACKENDS.map((b) => b.provider)).size).toBe(STORE_BACKENDS.length);
    expect(new Set(STORE_BACKENDS.map((b) => b.scheme)).size).toBe(STORE_BACKENDS.length);
  });

  it('each backend lives in a folder of its own under src/store/ (the doc\'s step 1)', () => {
    const src = readFileSync(path.join(ROOT, 'src/store/store-registry.ts'), 'utf8');
    for (const m of src.matchAll(/from '\.\/([a-z0-9-]+)\/([a-z0-9-]+)\.js'/g)) {
      expect(readFileSync(path.join(ROOT, 'src/store', m[1]!, `${m[2]}.ts`), 'utf8')).toMatch(/StoreBackend/);
    }
    expect([...src.matchAll(/from '\.\/[a-z0-9-]+\/[a-z0-9-]+-backend\.js'/g)]).toHaveLength(STORE_BACKENDS.length);
  });

  it('each URL form in the help parses, and its label names the backend\'s scheme', () => {
    for (const b of STORE_BACKENDS) {
      const example = b.urlForm.replace('URL', 'http://127.0.0.1:7480').replace('&region=R', '&region=us-east-1').replace('/dir', '/var/backups');
      const cfg = parseLocationUrl(example);
      expect(cfg.store.provider).toBe(b.provider);
      expect(labelOf(cfg.store, cfg.layout.backupPathPrefix)).toMatch(new RegExp(`^${b.scheme}://`));
      expect(locationForms()).toContain(b.urlForm);
    }
  });

  it('the one redaction list holds every backend\'s secret fields', () => {
    for (const b of STORE_BACKENDS) for (const f of b.secretFields) expect(SECRET_FIELDS, `${b.provider}: ${f}`).toContain(f);
  });
});
