import { describe, expect, it } from 'vitest';
import { parseLocationUrl } from '../../../src/location/parse-location-url.js';
import { dataKeyFor } from '../../../src/model/layout.js';

describe('location URLs', () => {
  it('parses a local directory', () => {
    expect(parseLocationUrl('file:///var/backups')).toEqual({ store: { provider: 'local', path: '/var/backups' }, layout: { backupPathPrefix: '', prefix: '' }, partSize: undefined });
    expect(parseLocationUrl('/var/backups').store).toEqual({ provider: 'local', path: '/var/backups' });
  });

  it('parses S3 with an endpoint, path style by default for custom endpoints', () => {
    const l = parseLocationUrl('s3://my-bucket/team/a?endpoint=http://127.0.0.1:7480&region=eu-west-1&partSize=64Mi&prefix=cstor');
    expect(l.store).toMatchObject({ provider: 'aws', bucket: 'my-bucket', endpoint: 'http://127.0.0.1:7480', region: 'eu-west-1', forcePathStyle: true, checksums: 'WHEN_REQUIRED' });
    expect(l.layout).toEqual({ backupPathPrefix: 'team/a', prefix: 'cstor' });
    expect(l.partSize).toBe(64 * 1024 * 1024);
    expect(dataKeyFor(l.layout, 'b1', 'pvc-1')).toBe('team/a/backups/b1/cstor-pvc-1-b1');
  });

  it('parses gs://', () => {
    expect(parseLocationUrl('gs://bkt/x?project=p1').store).toEqual({ provider: 'gcp', bucket: 'bkt', projectId: 'p1', keyFile: undefined, parallelUpload: false });
  });

  it.each([
    ['', /is empty/],
    ['ftp://x/y', /unsupported scheme "ftp:"/],
    ['s3://B_ad', /invalid bucket name/],
    ['s3://bucket?endpiont=http://x', /unknown parameter "endpiont".*did you mean "endpoint"/],
    ['s3://bucket?endpoint=localhost:9000', /not an http\(s\) URL/],
    ['s3://AKIA:secret@bucket/x', /contains credentials/],
    ['s3://bucket?forcePathStyle=maybe', /not a boolean/],
    ['s3://bucket?partSize=lots', /not a valid size/],
    ['file://host/dir', /names a host/],
  ])('refuses %j', (url, msg) => {
    expect(() => parseLocationUrl(url)).toThrow(msg);
  });

  it('never echoes credentials from a refused URL', () => {
    try {
      parseLocationUrl('s3://AKIA:supersecret@bucket/x');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).not.toContain('supersecret');
      expect((e as { code: string }).code).toBe('INVALID_LOCATION');
    }
  });

  it('builds keys the stock velero-plugin uses', () => {
    expect(dataKeyFor({ backupPathPrefix: '', prefix: '' }, 'sched-20260101000000', 'pvc-9')).toBe('backups/sched-20260101000000/pvc-9-sched-20260101000000');
    expect(() => dataKeyFor({ backupPathPrefix: '', prefix: '' }, '../x', 'v')).toThrow(/backup name/);
  });
});
