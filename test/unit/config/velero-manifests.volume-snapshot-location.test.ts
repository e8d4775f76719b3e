import { describe, expect, it } from 'vitest';
import { problems, parse, vsl, yaml } from './helpers.js';

const AWS = 'provider: aws\nbucket: velero\nregion: us-east-1';
const DEFAULT_BEHAVIOUR = {
  disableIncrementalBackups: false,
  restoreAllIncrementalSnapshots: false,
  autoSetTargetIP: false,
  restApiTimeoutMs: 60_000,
  namespace: 'openebs',
  local: false,
};

describe('VolumeSnapshotLocation: valid configs', () => {
  it('minimal aws location gets the defaults', () => {
    const cfg = parse(vsl(AWS));
    expect(cfg.locations).toEqual([
      {
        name: 'loc',
        source: 'c.yaml:1:1',
        plugin: 'openebs.io/cstor-blockstore',
        location: {
          store: { provider: 'aws', bucket: 'velero', region: 'us-east-1', forcePathStyle: false, insecureSkipTLSVerify: false, checksums: 'WHEN_REQUIRED' },
          layout: { backupPathPrefix: '', prefix: '' },
        },
        behaviour: DEFAULT_BEHAVIOUR,
        // What the controller sends the agent: the config map as written.
        vslConfig: { provider: 'aws', bucket: 'velero', region: 'us-east-1' },
      },
    ]);
    expect(cfg.schedules).toEqual([]);
    expect(cfg.warnings).toEqual([]);
  });

  const PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
  const cases: { name: string; config: string; store?: object; layout?: object; partSize?: number; behaviour?: object }[] = [
    {
      name: 'custom endpoint, path style, profile, TLS options, CA',
      config: `${AWS}\ns3Url: https://minio.example:9000/\ns3ForcePathStyle: "true"\nprofile: backup\ninsecureSkipTLSVerify: "yes"\ncaCert: ${Buffer.from(PEM).toString('base64')}`,
      store: {
        provider: 'aws', bucket: 'velero', region: 'us-east-1', endpoint: 'https://minio.example:9000', forcePathStyle: true,
        profile: 'backup', insecureSkipTLSVerify: true, caCertPem: PEM, checksums: 'WHEN_REQUIRED',
      },
    },
    {
      name: 'DisableSSL makes a scheme-less s3Url http',
      config: `${AWS}\ns3Url: 127.0.0.1:7480\nDisableSSL: "true"`,
      store: { endpoint: 'http://127.0.0.1:7480' },
    },
    { name: 'scheme-less s3Url defaults to https', config: `${AWS}\ns3Url: minio:9000`, store: { endpoint: 'https://minio:9000' } },
    { name: 'explicit http s3Url is kept', config: `${AWS}\ns3Url: http://ceph:7480`, store: { endpoint: 'http://ceph:7480' } },
    { name: 'gcp', config: 'provider: gcp\nbucket: my-bucket', store: { provider: 'gcp', bucket: 'my-bucket', parallelUpload: false } },
    { name: 'local (snapstream extension)', config: 'provider: local\npath: /var/backups/ss/', store: { provider: 'local', path: '/var/backups/ss' } },
    {
      name: 'layout keys, trimmed slashes',
      config: `${AWS}\nbackupPathPrefix: /velero/cstor/\nprefix: cluster-a`,
      layout: { backupPathPrefix: 'velero/cstor', prefix: 'cluster-a' },
    },
    { name: 'multiPartChunkSize binary', config: `${AWS}\nmultiPartChunkSize: 64Mi`, partSize: 64 * 2 ** 20 },
    { name: 'multiPartChunkSize decimal', config: `${AWS}\nmultiPartChunkSize: 100M`, partSize: 100_000_000 },
    { name: 'multiPartChunkSize exactly 5Mi', config: `${AWS}\nmultiPartChunkSize: "5242880"`, partSize: 5 * 2 ** 20 },
    {
      name: 'all behaviour flags',
      config: `${AWS}\ndisableIncrementalBackups: "TRUE"\nrestoreAllIncrementalSnapshots: "1"\nautoSetTargetIP: "Yes"\nrestApiTimeout: 1m30s\nnamespace: openebs-system\nlocal: "no"`,
      behaviour: {
        disableIncrementalBackups: true, restoreAllIncrementalSnapshots: true, autoSetTargetIP: true,
        restApiTimeoutMs: 90_000, namespace: 'openebs-system', local: false,
      },
    },
    { name: 'explicit falses', config: `${AWS}\ndisableIncrementalBackups: "false"\nautoSetTargetIP: "0"`, behaviour: DEFAULT_BEHAVIOUR },
  ];
  it.each(cases)('$name', ({ config, store, layout, partSize, behaviour }) => {
    const [loc] = parse(vsl(config)).locations;
    if (store) expect(loc!.location.store).toMatchObject(store);
    expect(loc!.location.layout).toEqual(layout ?? { backupPathPrefix: '', prefix: '' });
    expect(loc!.location.partSize).toBe(partSize);
    expect(loc!.behaviour).toEqual(behaviour ?? DEFAULT_BEHAVIOUR);
  });

  it('zfspv plugin, status and kubectl metadata are accepted; credential is a warning', () => {
    const cfg = parse(yaml(`
      apiVersion: velero.io/v1
      kind: VolumeSnapshotLocation
      metadata:
        name: zfs
        namespace: velero
        uid: 1234
        resourceVersion: "99"
        creationTimestamp: "2026-01-01T00:00:00Z"
        labels: {a: b}
      spec:
        provider: openebs.io/zfspv-blockstore
        credential:
          name: cloud-credentials
          key: cloud
        config:
          provider: gcp
          bucket: zfs-backups
      status:
        phase: Available
    `));
    expect(cfg.locations.map((l) => [l.name, l.plugin])).toEqual([['zfs', 'openebs.io/zfspv-blockstore']]);
    expect(cfg.warnings).toEqual([
      'c.yaml:12:3: spec.credential is ignored: snapstream takes credentials from the environment, a profile or the workload identity',
    ]);
  });
});

describe('VolumeSnapshotLocation: problems point at file:line:col', () => {
  // Config lines start at line 9, column 5 (after "    ") in vsl().
  const cases: { name: string; config: string; want: string[] }[] = [
    {
      name: 'not-a-boolean names key, value and fix',
      config: `${AWS}\ndisableIncrementalBackups: "ture"`,
      want: ['12:32: disableIncrementalBackups: "ture" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)'],
    },
    {
      name: 'bare YAML boolean is refused (Kubernetes string map)',
      config: `${AWS}\nautoSetTargetIP: true`,
      want: [
        '12:22: spec.config.autoSetTargetIP must be a quoted string: a VolumeSnapshotLocation\'s config is a string map and Kubernetes rejects a bare true; write autoSetTargetIP: "true"',
      ],
    },
    {
      name: 'unknown key with a near miss',
      config: `${AWS}\ndisableIncrementalBackup: "true"`,
      want: ['12:5: unknown key "disableIncrementalBackup" in spec.config; did you mean "disableIncrementalBackups"?'],
    },
    {
      name: 'wrong case is unknown, with the right spelling suggested',
      config: `${AWS}\ndisableSSL: "true"`,
      want: ['12:5: unknown key "disableSSL" in spec.config; did you mean "DisableSSL"?'],
    },
    {
      name: 'unknown key far from everything lists the known keys',
      config: `${AWS}\nendpointURL: x`,
      want: [expect.stringMatching(/^12:5: unknown key "endpointURL" in spec.config; known keys: provider, prefix, backupPathPrefix, multiPartChunkSize, .*, bucket, region, /) as unknown as string],
    },
    {
      name: 'chunk size below 5Mi',
      config: `${AWS}\nmultiPartChunkSize: 4Mi`,
      want: ['12:25: multiPartChunkSize: "4Mi" is 4Mi; S3 parts must be between 5Mi and 5Gi (e.g. "64Mi")'],
    },
    {
      name: 'chunk size above 5Gi',
      config: `${AWS}\nmultiPartChunkSize: 6Gi`,
      want: ['12:25: multiPartChunkSize: "6Gi" is 6Gi; S3 parts must be between 5Mi and 5Gi (e.g. "64Mi")'],
    },
    {
      name: 'chunk size not a quantity',
      config: `${AWS}\nmultiPartChunkSize: 64MB`,
      want: ['12:25: multiPartChunkSize: "64MB" is not a valid size (expected a number with an optional suffix Ki, Mi, Gi, Ti, k, M, G, T); write a Kubernetes quantity such as "64Mi" or "100M"'],
    },
    {
      name: 'bad duration',
      config: `${AWS}\nrestApiTimeout: "60"`,
      want: ['12:21: restApiTimeout: "60" is not a valid duration (missing unit); write a Go duration such as "60s", "1m30s" or "720h0m0s"'],
    },
    { name: 'zero timeout', config: `${AWS}\nrestApiTimeout: 0s`, want: ['12:21: restApiTimeout: must be more than 0 (e.g. "60s")'] },
    {
      name: 'missing region for aws',
      config: 'provider: aws\nbucket: velero',
      want: ['9:5: spec.config needs "region" for provider aws (e.g. region: us-east-1; any value for MinIO or Ceph)'],
    },
    {
      name: 'missing bucket and provider',
      config: 'region: x',
      want: ['9:5: spec.config needs "provider": aws, gcp or local'],
    },
    {
      name: 'unsupported store provider',
      config: 'provider: azure\nbucket: b',
      want: ['9:15: spec.config.provider "azure" is not supported; use aws (S3 and compatible), gcp (Google Cloud Storage) or local (a local directory)'],
    },
    {
      name: 'key of another provider',
      config: 'provider: gcp\nbucket: bucket\nregion: us-east-1\ns3Url: http://x',
      want: ['11:5: spec.config.region does not apply to provider gcp; remove it', '12:5: spec.config.s3Url does not apply to provider gcp; remove it'],
    },
    {
      name: 'local needs an absolute path',
      config: 'provider: local\npath: backups',
      want: ['10:11: spec.config.path "backups" must be an absolute directory'],
    },
    {
      name: 'https s3Url contradicts DisableSSL',
      config: `${AWS}\ns3Url: https://minio:9000\nDisableSSL: "true"`,
      want: ['12:12: s3Url: "https://minio:9000" says https but DisableSSL is true; use "http://minio:9000" or drop DisableSSL'],
    },
    {
      name: 'DisableSSL without s3Url',
      config: `${AWS}\nDisableSSL: "true"`,
      want: ['12:5: DisableSSL: "true" needs s3Url (plain HTTP to AWS itself is not supported); set s3Url: "http://host:port"'],
    },
    {
      name: 'credentials in s3Url',
      config: `${AWS}\ns3Url: http://ak:sk@minio:9000`,
      want: ['12:12: s3Url must not contain credentials; they come from the environment, a profile or the workload identity'],
    },
    {
      name: 'caCert not base64',
      config: `${AWS}\ncaCert: "not base64!"`,
      want: ['12:13: caCert must be a base64-encoded PEM bundle (e.g. the output of `base64 -w0 ca.pem`)'],
    },
    {
      name: 'caCert base64 but not PEM',
      config: `${AWS}\ncaCert: ${Buffer.from('hello').toString('base64')}`,
      want: ['12:13: caCert decodes to something that is not a PEM certificate (expected "-----BEGIN CERTIFICATE-----")'],
    },
    {
      name: 'bad bucket name',
      config: 'provider: aws\nbucket: My_Bucket\nregion: r',
      want: ['10:13: spec.config.bucket "My_Bucket" is not a valid bucket name (3-63 lowercase letters, digits, ".", "-")'],
    },
    {
      name: 'prefix with a slash',
      config: `${AWS}\nprefix: a/b`,
      want: ['12:13: spec.config.prefix "a/b" may only contain letters, digits and "._-" (it becomes part of an object name)'],
    },
    {
      name: 'backupPathPrefix with ..',
      config: `${AWS}\nbackupPathPrefix: a/../b`,
      want: ['12:23: spec.config.backupPathPrefix "a/../b" has an empty, "." or ".." path segment'],
    },
    {
      name: 'empty value',
      config: `${AWS}\nprofile:`,
      want: ['12:5: spec.config.profile must have a value'],
    },
    {
      name: 'several problems are all reported, in file order',
      config: 'provider: aws\nbucket: velero\nregion: r\nautoSetTargetIP: "maybe"\nlocal: "sure"',
      want: [
        '12:22: autoSetTargetIP: "maybe" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)',
        '13:12: local: "sure" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)',
      ],
    },
  ];
  it.each(cases)('$name', ({ config, want }) => {
    expect(problems(vsl(config))).toEqual(want);
  });

  it("the seed's own example: underscore name and typographic quotes", () => {
    const seed = yaml(`
      apiVersion: velero.io/v1
      kind: VolumeSnapshotLocation
      metadata:
        name: location_1
        namespace: velero
      spec:
        provider: openebs.io/cstor-blockstore
        config:
          bucket: test
          provider: gcp
          restoreAllIncrementalSnapshots: "false"
          autoSetTargetIP: \u201ctrue\u201d
          disableIncrementalBackups: \u201ctrue\u201d
    `);
    expect(problems(seed, 'seed.yaml')).toEqual([
      '4:9: VolumeSnapshotLocation name "location_1" must consist of lowercase letters, digits, "-" and ".", and start and end with a letter or digit (Kubernetes rejects "_"; try "location-1")',
      '12:22: autoSetTargetIP: "\u201ctrue\u201d" is not a boolean; the value is wrapped in typographic quotes (\u201c \u201d), which YAML keeps as part of the text; use straight quotes: autoSetTargetIP: "true"',
      '13:32: disableIncrementalBackups: "\u201ctrue\u201d" is not a boolean; the value is wrapped in typographic quotes (\u201c \u201d), which YAML keeps as part of the text; use straight quotes: disableIncrementalBackups: "true"',
    ]);
  });

  it('the error message carries the file name', () => {
    expect(() => parse(vsl(`${AWS}\nlocal: "x"`), '/etc/snapstream/vsl.yaml')).toThrow(
      /^\/etc\/snapstream\/vsl\.yaml:12:12: local: "x" is not a boolean/,
    );
  });

  const structural: { name: string; text: string; want: string[] }[] = [
    {
      name: 'wrong apiVersion',
      text: vsl(AWS).replace('velero.io/v1', 'velero.io/v2'),
      want: ['1:13: VolumeSnapshotLocation must have apiVersion: velero.io/v1 (got "velero.io/v2")'],
    },
    {
      name: 'unknown plugin',
      text: vsl(AWS).replace('openebs.io/cstor-blockstore', 'velero.io/aws'),
      want: ['7:13: spec.provider "velero.io/aws" is not handled by snapstream; use openebs.io/cstor-blockstore or openebs.io/zfspv-blockstore'],
    },
    {
      name: 'misspelt spec key',
      text: vsl(AWS).replace('  config:', '  confg:'),
      want: ['8:3: unknown key "confg" in VolumeSnapshotLocation spec; did you mean "config"?', '7:3: VolumeSnapshotLocation needs spec.config with at least provider and bucket'].sort(),
    },
    {
      name: 'no metadata.name',
      text: vsl(AWS).replace('  name: loc\n', ''),
      want: ['4:3: VolumeSnapshotLocation needs metadata.name'],
    },
    {
      name: 'duplicate key is a YAML error, not last-one-wins',
      text: vsl(`${AWS}\nbucket: other`),
      want: ['12:5: invalid YAML: Map keys must be unique'],
    },
  ];
  it.each(structural)('$name', ({ text, want }) => {
    expect(problems(text).sort()).toEqual([...want].sort());
  });
});
