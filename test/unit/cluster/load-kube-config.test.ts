import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../../src/cluster/load-kube-config.js';
import { ErrorCode } from '../../../src/errors.js';

const dir = mkdtempSync(path.join(tmpdir(), 'snapstream-kc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
};

describe('loadKubeConfig', () => {
  it('never quotes the file: kubeconfig pointed at a credentials file does not put its secrets into the error', async () => {
    // An AWS credentials file (Velero mounts one) and a YAML file with a secret: the loader's own
    // messages quote the lines around the parse error.
    const aws = file('cloud', '[default]\naws_access_key_id = AKIAEXAMPLEKEY\naws_secret_access_key = wJalrSECRETKEYEXAMPLE\n');
    const yaml = file('secret.yaml', 'apiVersion: v1\ntoken: SECRETTOKENEXAMPLE\n  bad: : x\n');
    const other = file('other.yaml', 'password: SECRETPASSWORDEXAMPLE\n');
    for (const f of [aws, yaml, other]) {
      const e = (await loadKubeConfig(f, 'autoSetTargetIP').catch((x: unknown) => x)) as Error & { code: string };
      expect(e.code).toBe(ErrorCode.INVALID_ARGUMENT);
      expect(e.message).toContain(f);
      expect(e.message).not.toMatch(/SECRET|AKIA/);
    }
    await expect(loadKubeConfig(path.join(dir, 'missing'), 'kubernetes discovery')).rejects.toThrow(/kubernetes discovery: kubeconfig .*missing cannot be loaded: ENOENT/);
  });

  it('loads a kubeconfig', async () => {
    const f = file(
      'kubeconfig',
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{ name: c, cluster: { server: "https://127.0.0.1:6443" } }]',
        'users: [{ name: u, user: { token: "t" } }]',
        'contexts: [{ name: x, context: { cluster: c, user: u } }]',
        'current-context: x',
        '',
      ].join('\n'),
    );
    expect((await loadKubeConfig(f, 'test')).getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  });
});
