import { describe, expect, it } from 'vitest';
import { buildAgentConfig } from '../../../src/agent/agent-config.js';
import { type LocationGrants, authorizeLocation, normalizeEndpoint, parseGrant } from '../../../src/agent/location-grants.js';
import { parseLocationUrl } from '../../../src/location/parse-location-url.js';

const grants = (entries: unknown[], allowAny = false): LocationGrants => ({ named: new Map(), grants: entries.map((e, i) => parseGrant(e, `allowedLocations[${i}]`)), allowAny });
const check = (url: string, g: LocationGrants) => authorizeLocation(parseLocationUrl(url), g, 'backup');
const denied = (url: string, g: LocationGrants, re: RegExp) => expect(() => check(url, g)).toThrow(expect.objectContaining({ code: 'PERMISSION_DENIED', message: expect.stringMatching(re) }));

describe('location grant matcher', () => {
  const g = grants([
    's3://velero/cluster-a?endpoint=https://minio.example:9000',
    { provider: 'aws', bucket: 'aws-bkt', prefix: 'team/x' },
    'file:///var/backups',
    { provider: 'gcp', bucket: 'gbkt', credentialsFile: '/etc/snapstream/cloud/key.json' },
  ]);

  it('allows what falls inside a grant: same bucket and endpoint, prefix at or under, dir at or under', () => {
    expect(check('s3://velero/cluster-a?endpoint=https://minio.example:9000', g).store).toMatchObject({ bucket: 'velero' });
    expect(check('s3://velero/cluster-a/sub?endpoint=https://MINIO.example:9000/', g).store).toMatchObject({ bucket: 'velero' });
    expect(check('s3://aws-bkt/team/x?region=eu-west-1', g).store).toMatchObject({ region: 'eu-west-1' });
    expect(check('file:///var/backups/node-1', g).store).toEqual({ provider: 'local', path: '/var/backups/node-1' });
    // The grant's credentials are used, whether or not the request repeats them.
    expect(check('gs://gbkt/p', g).store).toMatchObject({ keyFile: '/etc/snapstream/cloud/key.json' });
    expect(check('gs://gbkt/p?credentialsFile=/etc/snapstream/cloud/key.json', g).store).toMatchObject({ keyFile: '/etc/snapstream/cloud/key.json' });
  });

  it('refuses other endpoints, buckets, prefixes, directories, naming allowedLocations', () => {
    denied('s3://velero/cluster-a?endpoint=http://169.254.169.254', g, /s3:\/\/velero\/cluster-a at endpoint http:\/\/169\.254\.169\.254.*allowedLocations/);
    denied('s3://velero/cluster-a', g, /at AWS/); // the grant is for the MinIO endpoint only
    denied('s3://aws-bkt/team/x?endpoint=http://127.0.0.1:1', g, /allowedLocations/);
    denied('s3://velero/cluster-ab?endpoint=https://minio.example:9000', g, /allowedLocations/); // prefix boundary is a path segment
    denied('s3://velero/?endpoint=https://minio.example:9000', g, /allowedLocations/);
    denied('s3://other/cluster-a?endpoint=https://minio.example:9000', g, /allowedLocations/);
    denied('file:///var/backups-evil', g, /allowedLocations/);
    denied('file:///var/backups/../../etc', g, /file:\/\/\/etc/);
    denied('file:///etc', g, /allowedLocations/);
    denied('gs://velero/cluster-a', g, /allowedLocations/);
  });

  it('refuses credentials and TLS trust chosen by a request', () => {
    denied('gs://gbkt/p?credentialsFile=/dev/zero', g, /sets credentialsFile.*allowedLocations\[3\]/);
    denied('s3://aws-bkt/team/x?profile=other', g, /sets profile/);
    denied('s3://velero/cluster-a?endpoint=https://minio.example:9000&insecureSkipTLSVerify=true', g, /sets insecureSkipTLSVerify/);
    expect(() => check('s3://aws-bkt/team/x?region=x.evil.com%23', g)).toThrow(/not a region name/);
  });

  it('no grants refuses everything; allowAnyLocation allows everything', () => {
    denied('file:///var/backups', grants([]), /allowedLocations/);
    expect(check('s3://bkt/p?endpoint=http://127.0.0.1:1&profile=x', grants([], true)).store).toMatchObject({ profile: 'x' });
  });

  it('named locations from the config are grants too, with their credentials', () => {
    const cfg = buildAgentConfig({
      allowAnyPool: true,
      insecurePlaintext: true,
      listen: '127.0.0.1:0',
      locations: { default: 'gs://named/p?credentialsFile=/etc/k.json', vsl: { config: { provider: 'aws', bucket: 'vbkt', region: 'r1', s3Url: 'http://10.0.0.1:7480', backupPathPrefix: 'c' } } },
    });
    expect([...cfg.locationGrants.named.keys()]).toEqual(['default', 'vsl']);
    expect(check('gs://named/p/x', cfg.locationGrants).store).toMatchObject({ keyFile: '/etc/k.json' });
    expect(check('s3://vbkt/c?endpoint=http://10.0.0.1:7480&region=r1', cfg.locationGrants).store).toMatchObject({ bucket: 'vbkt' });
    expect(() => check('s3://vbkt/c?endpoint=http://10.0.0.2:7480', cfg.locationGrants)).toThrow(/configured: default, vsl/);
  });

  it('parses grants strictly', () => {
    expect(() => parseGrant({ provider: 'aws', bucket: 'bkt', endpoint: 'http://AK:SK@h' }, 'allowedLocations[0]')).toThrow(/without credentials/);
    expect(() => parseGrant({ provider: 'aws', bucket: 'bkt', endpont: 'x' }, 'allowedLocations[0]')).toThrow(/unknown key "endpont"/);
    expect(() => parseGrant({ provider: 'local', root: 'rel' }, 'allowedLocations[0]')).toThrow(/absolute/);
    expect(() => parseGrant('s3://bkt?endpoint=http://AK:SK@h', 'allowedLocations[0]')).toThrow(/credentials in its endpoint/);
    expect(normalizeEndpoint('HTTPS://Minio.Example:443/')).toBe('https://minio.example');
  });
});
