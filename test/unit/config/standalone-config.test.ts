import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFiles, parseConfig } from '../../../src/config/load-config.js';
import { SnapstreamError } from '../../../src/errors.js';
import { parse, problems, vsl, yaml } from './helpers.js';

const GOOD = yaml(`
  apiVersion: snapstream.io/v1
  kind: SnapstreamConfig
  locations:
    - name: main
      provider: aws
      bucket: backups
      region: us-east-1
      s3Url: http://127.0.0.1:7480
      s3ForcePathStyle: true
      disableIncrementalBackups: true
      multiPartChunkSize: 16Mi
    - name: disk
      provider: local
      path: /srv/backups
  schedules:
    - name: nightly
      schedule: "0 1 * * *"
      location: main
      ttl: 720h
      keepLast: 7
      volumes:
        - volume: pvc-1
          dataset: tank/pvc-1
        - volume: home
          dataset: tank/home
    - name: fast
      schedule: "@every 5s"
      location: disk
      keepLast: 3
      paused: yes
      volumes:
        - {volume: scratch, dataset: tank/scratch}
`);

describe('standalone SnapstreamConfig', () => {
  it('parses locations and schedules exactly', () => {
    const cfg = parse(GOOD, 'host.yaml');
    expect(cfg.locations).toEqual([
      {
        name: 'main',
        source: 'host.yaml:4:5',
        location: {
          store: {
            provider: 'aws', bucket: 'backups', region: 'us-east-1', endpoint: 'http://127.0.0.1:7480',
            forcePathStyle: true, insecureSkipTLSVerify: false, checksums: 'WHEN_REQUIRED',
          },
          layout: { backupPathPrefix: '', prefix: '' },
          partSize: 16 * 2 ** 20,
        },
        behaviour: {
          disableIncrementalBackups: true, restoreAllIncrementalSnapshots: false, autoSetTargetIP: false,
          restApiTimeoutMs: 60_000, namespace: 'openebs', local: false,
        },
        // Native YAML booleans become the strings a VolumeSnapshotLocation would hold.
        vslConfig: {
          provider: 'aws', bucket: 'backups', region: 'us-east-1', s3Url: 'http://127.0.0.1:7480',
          s3ForcePathStyle: 'true', disableIncrementalBackups: 'true', multiPartChunkSize: '16Mi',
        },
      },
      {
        name: 'disk',
        source: 'host.yaml:12:5',
        location: { store: { provider: 'local', path: '/srv/backups' }, layout: { backupPathPrefix: '', prefix: '' } },
        behaviour: {
          disableIncrementalBackups: false, restoreAllIncrementalSnapshots: false, autoSetTargetIP: false,
          restApiTimeoutMs: 60_000, namespace: 'openebs', local: false,
        },
        vslConfig: { provider: 'local', path: '/srv/backups' },
      },
    ]);
    expect(cfg.schedules).toEqual([
      {
        name: 'nightly',
        source: 'host.yaml:16:5',
        cron: { kind: 'cron', expression: '0 1 * * *', timezone: 'UTC' },
        ttlMs: 720 * 3_600_000,
        keepLast: 7,
        location: 'main',
        volumes: [
          { volume: 'pvc-1', dataset: 'tank/pvc-1' },
          { volume: 'home', dataset: 'tank/home' },
        ],
        paused: false,
        includedNamespaces: [],
      },
      {
        name: 'fast',
        source: 'host.yaml:26:5',
        cron: { kind: 'every', intervalMs: 5000 },
        keepLast: 3,
        location: 'disk',
        volumes: [{ volume: 'scratch', dataset: 'tank/scratch' }],
        paused: true,
        includedNamespaces: [],
      },
    ]);
  });

  it('a single location is the default for schedules', () => {
    const cfg = parse(yaml(`
      apiVersion: snapstream.io/v1
      kind: SnapstreamConfig
      locations: [{name: only, provider: gcp, bucket: my-bucket}]
      schedules: [{name: s, schedule: "@hourly", ttl: 24h, volumes: [{volume: v, dataset: tank/v}]}]
    `));
    expect(cfg.schedules[0]!.location).toBe('only');
  });

  const HEAD = 'apiVersion: snapstream.io/v1\nkind: SnapstreamConfig\nlocations:\n  - {name: main, provider: local, path: /b}\nschedules:\n';
  const cases: { name: string; schedule: string; want: string[] }[] = [
    {
      name: 'no retention',
      schedule: '  - {name: s, schedule: "@daily", volumes: [{volume: v, dataset: tank/v}]}',
      want: ['6:5: schedules[0] needs a retention: "ttl" (e.g. 720h) and/or "keepLast" (e.g. 7)'],
    },
    {
      name: 'no volumes',
      schedule: '  - {name: s, schedule: "@daily", ttl: 1h}',
      want: ['6:5: schedules[0] needs "volumes": a list of {volume, dataset}'],
    },
    {
      name: 'empty volumes',
      schedule: '  - {name: s, schedule: "@daily", ttl: 1h, volumes: []}',
      want: ['6:53: schedules[0].volumes must be a non-empty list of {volume, dataset}'],
    },
    {
      name: 'volume without dataset',
      schedule: '  - {name: s, schedule: "@daily", ttl: 1h, volumes: [{volume: v}]}',
      want: ['6:54: schedules[0].volumes[0] needs both "volume" (a name, e.g. pvc-1) and "dataset" (e.g. tank/pvc-1)'],
    },
    {
      name: 'misspelt volume key',
      schedule: '  - {name: s, schedule: "@daily", ttl: 1h, volumes: [{volume: v, datset: tank/v}]}',
      want: [
        '6:54: schedules[0].volumes[0] needs both "volume" (a name, e.g. pvc-1) and "dataset" (e.g. tank/pvc-1)',
        '6:66: unknown key "datset" in schedules[0].volumes[0]; did you mean "dataset"?',
      ],
    },
    {
      name: 'dataset with a snapshot',
      schedule: '  - {name: s, schedule: "@daily", ttl: 1h, volumes: [{volume: v, dataset: tank/v@x}]}',
      want: ['6:54: invalid dataset name "tank/v@x": contains "@" (that is a snapshot name; give the dataset alone)'],
    },
    {
      name: 'ttl 0',
      schedule: '  - {name: s, schedule: "@daily", ttl: 0s, volumes: [{volume: v, dataset: tank/v}]}',
      want: ['6:40: schedules[0].ttl must be more than 0; leave it out to keep backups regardless of age'],
    },
    {
      name: 'keepLast negative',
      schedule: '  - {name: s, schedule: "@daily", keepLast: -1, volumes: [{volume: v, dataset: tank/v}]}',
      want: ['6:45: schedules[0].keepLast: "-1" must be a whole number of backups, at least 1 (e.g. 7)'],
    },
    {
      name: 'paused not a boolean',
      schedule: '  - {name: s, schedule: "@daily", keepLast: 1, paused: maybe, volumes: [{volume: v, dataset: tank/v}]}',
      want: ['6:56: schedules[0].paused: "maybe" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)'],
    },
    {
      name: 'unknown schedule key',
      schedule: '  - {name: s, schedule: "@daily", keeplast: 1, ttl: 1h, volumes: [{volume: v, dataset: tank/v}]}',
      want: ['6:35: unknown key "keeplast" in schedules[0]; did you mean "keepLast"?'],
    },
    {
      name: 'unknown location',
      schedule: '  - {name: s, schedule: "@daily", ttl: 1h, location: mian, volumes: [{volume: v, dataset: tank/v}]}',
      want: ['6:5: schedule "s" uses location "mian", which is not defined in the config; did you mean "main"?'],
    },
    {
      name: 'duplicate schedule names',
      schedule:
        '  - {name: s, schedule: "@daily", ttl: 1h, volumes: [{volume: v, dataset: tank/v}]}\n' +
        '  - {name: s, schedule: "@hourly", ttl: 1h, volumes: [{volume: v, dataset: tank/v}]}',
      want: ['7:5: schedule "s" is defined twice (first at c.yaml:6:5)'],
    },
  ];
  it.each(cases)('$name', ({ schedule, want }) => {
    expect(problems(HEAD + schedule + '\n')).toEqual(want);
  });

  it('location problems in the standalone format', () => {
    const text = yaml(`
      apiVersion: snapstream.io/v1
      kind: SnapstreamConfig
      locations:
        - provider: aws
          bucket: b1b
          region: r
          restoreAllIncrementalSnapshot: true
        - name: x
          provider: aws
          bucket: b2b
          region: r
          s3ForcePathStyle: perhaps
    `);
    expect(problems(text)).toEqual([
      '4:5: locations[0] needs a "name"',
      '7:5: unknown key "restoreAllIncrementalSnapshot" in locations[0]; did you mean "restoreAllIncrementalSnapshots"?',
      '12:23: s3ForcePathStyle: "perhaps" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)',
    ]);
  });

  it('wrong apiVersion for the standalone kind', () => {
    expect(problems('apiVersion: velero.io/v1\nkind: SnapstreamConfig\n')).toEqual([
      '1:13: SnapstreamConfig must have apiVersion: snapstream.io/v1 (got "velero.io/v1")',
    ]);
  });
});

describe('loading: documents, files, kinds', () => {
  it('unknown kind, missing kind, non-mapping document, YAML syntax error', () => {
    const text = 'kind: VolumeSnapshotLocaton\n---\nfoo: bar\n---\n- a list\n---\nkey: [unclosed\n';
    expect(problems(text)).toEqual([
      '1:7: kind "VolumeSnapshotLocaton" is not supported; did you mean "VolumeSnapshotLocation"?',
      '3:1: document has no "kind"; expected one of VolumeSnapshotLocation, Schedule, SnapstreamConfig',
      '5:1: a config document must be a mapping with "kind" (VolumeSnapshotLocation, Schedule, SnapstreamConfig)',
      expect.stringMatching(/^\d+:\d+: invalid YAML: /) as unknown as string,
    ]);
  });

  it('empty documents and comments are fine', () => {
    expect(parse('# nothing yet\n---\n---\n')).toEqual({ locations: [], schedules: [], warnings: [] });
  });

  it('schedules resolve locations defined in another file; problems name their own file', () => {
    const loc = vsl('provider: aws\nbucket: velero\nregion: r', 'minio');
    const sched = 'apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {name: s}\nspec: {schedule: "@daily"}\n';
    const cfg = parseConfig([
      { file: 'a.yaml', text: loc },
      { file: 'b.yaml', text: sched },
    ]);
    expect(cfg.schedules.map((s) => [s.name, s.location, s.source])).toEqual([['s', 'minio', 'b.yaml:1:1']]);

    let err: unknown;
    try {
      parseConfig([
        { file: 'a.yaml', text: loc },
        { file: 'b.yaml', text: loc },
        { file: 'c.yaml', text: vsl('provider: aws\nbucket: velero\nregion: r\nlocal: "nah"', 'other') },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SnapstreamError);
    expect((err as SnapstreamError).message).toBe(
      '2 problems in config:\n' +
        '  c.yaml:12:12: local: "nah" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)\n' +
        '  b.yaml:1:1: location "minio" is defined twice (first at a.yaml:1:1)',
    );
  });

  describe('loadConfigFiles', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'snapstream-config-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads files and reports positions with their paths', async () => {
      const good = join(dir, 'good.yaml');
      const bad = join(dir, 'bad.yaml');
      await writeFile(good, GOOD);
      await writeFile(bad, vsl('provider: aws\nbucket: velero\nregion: r\nautoSetTargetIP: "ja"'));
      const cfg = await loadConfigFiles([good]);
      expect(cfg.schedules.map((s) => s.name)).toEqual(['nightly', 'fast']);
      await expect(loadConfigFiles([bad])).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: `${bad}:12:22: autoSetTargetIP: "ja" is not a boolean; use "true" or "false" (yes/no and 1/0 are accepted too)`,
      });
    });

    it('a missing file is NOT_FOUND', async () => {
      await expect(loadConfigFiles([join(dir, 'nope.yaml')])).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: `config file ${join(dir, 'nope.yaml')} does not exist`,
      });
    });
  });
});

describe('YAML features that are refused', () => {
  it('aliases are refused with a position, not expanded', () => {
    const text = vsl('provider: aws\nbucket: &b velero\nregion: *b');
    expect(problems(text)).toEqual(['11:13: "region": YAML aliases (*name) are not supported in config; write the value out']);
  });
});
