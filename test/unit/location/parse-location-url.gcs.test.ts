import { describe, expect, it } from 'vitest';
import { parseLocationUrl } from '../../../src/location/parse-location-url.js';
import { parse, problems, vsl } from '../config/helpers.js';

describe('gs:// location URLs', () => {
  it('takes project, credentialsFile, parallelUpload, partSize and prefix', () => {
    expect(parseLocationUrl('gs://my-bkt/velero/cstor?project=my-proj-1&credentialsFile=/secrets/gcs/key.json&parallelUpload=true&partSize=32Mi&prefix=c1')).toEqual({
      store: { provider: 'gcp', bucket: 'my-bkt', projectId: 'my-proj-1', keyFile: '/secrets/gcs/key.json', parallelUpload: true },
      layout: { backupPathPrefix: 'velero/cstor', prefix: 'c1' },
      partSize: 32 * 2 ** 20,
    });
  });
  it('defaults to Application Default Credentials and the resumable upload', () => {
    expect(parseLocationUrl('gs://bkt').store).toEqual({ provider: 'gcp', bucket: 'bkt', projectId: undefined, keyFile: undefined, parallelUpload: false });
  });
  it.each([
    ['gs://bkt?credentialsFile=key.json', /credentialsFile=key.json, which is not an absolute path/],
    ['gs://bkt?keyFile=/k.json', /unknown parameter "keyFile"/],
    ['gs://bkt?parallelUpload=maybe', /parallelUpload/],
    ['gs://BKT', /invalid bucket name/],
    ['gs://bkt?endpoint=http://x', /unknown parameter "endpoint"/],
  ])('%s is refused naming the fix', (url, msg) => {
    expect(() => parseLocationUrl(url)).toThrow(msg);
  });
});

describe('VolumeSnapshotLocation provider gcp', () => {
  it('reads project, credentialsFile and parallelUpload', () => {
    const cfg = parse(vsl('provider: gcp\nbucket: my-bucket\nproject: my-project\ncredentialsFile: /credentials/cloud\nparallelUpload: "true"'));
    expect(cfg.locations[0]!.location.store).toEqual({
      provider: 'gcp',
      bucket: 'my-bucket',
      projectId: 'my-project',
      keyFile: '/credentials/cloud',
      parallelUpload: true,
    });
  });
  it('refuses bad values and keys of other providers', () => {
    const p = problems(vsl('provider: gcp\nbucket: my-bucket\nproject: My_Project\ncredentialsFile: cloud\nparallelUpload: "sometimes"'));
    expect(p.join('\n')).toMatch(/project "My_Project" is not a Google Cloud project id/);
    expect(p.join('\n')).toMatch(/credentialsFile "cloud" must be an absolute path/);
    expect(p.join('\n')).toMatch(/parallelUpload/);
    expect(problems(vsl('provider: aws\nbucket: b\nregion: us-east-1\nproject: my-project')).join('\n')).toMatch(/project does not apply to provider aws; remove it/);
  });
});
