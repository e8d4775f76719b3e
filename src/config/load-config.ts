import { readFile } from 'node:fs/promises';
import { isMap, isScalar } from 'yaml';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { ConfigSource, configError, type ConfigProblem } from './config-source.js';
import { didYouMean } from '../parse/did-you-mean.js';
import type { ScheduleDraft } from './schedule-fields.js';
import { readStandaloneConfig, STANDALONE_KIND } from './standalone-config.js';
import type { ScheduleConfig, SnapshotLocation, SnapstreamConfig } from './types.js';
import { readVeleroSchedule, readVolumeSnapshotLocation } from './velero-manifests.js';

const KINDS = ['VolumeSnapshotLocation', 'Schedule', STANDALONE_KIND];
/** Config files are small; anything bigger is a mistake (a backup stream passed as --config). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Parses config texts (each may hold several YAML documents): Velero VolumeSnapshotLocation and
 * Schedule manifests and/or the standalone SnapstreamConfig format (standalone-config.ts), then
 * resolves every schedule's location across all of them. All problems of all files are reported
 * together in one INVALID_ARGUMENT error, each as `file:line:col: message`.
 */
export function parseConfig(inputs: readonly { file: string; text: string }[]): SnapstreamConfig {
  const sources = inputs.map((i) => new ConfigSource(i.file, i.text));
  const locations: SnapshotLocation[] = [];
  const drafts: { draft: ScheduleDraft; src: ConfigSource }[] = [];
  for (const src of sources) {
    for (const doc of src.documents) {
      const root = doc.contents;
      // An empty document (comments only, or a stray `---`) is a Scalar null, not a missing node.
      if (root === null || (isScalar(root) && root.value === null) || doc.errors.length > 0) continue;
      if (!isMap(root)) {
        src.report(root, `a config document must be a mapping with "kind" (${KINDS.join(', ')})`);
        continue;
      }
      const top = src.map(root, 'document') ?? [];
      const kindEntry = top.find((e) => e.key === 'kind');
      const kind = kindEntry === undefined ? undefined : src.string(kindEntry, 'kind');
      if (kind === 'VolumeSnapshotLocation') {
        const l = readVolumeSnapshotLocation(src, top, root);
        if (l !== undefined) locations.push(l);
      } else if (kind === 'Schedule') {
        const s = readVeleroSchedule(src, top, root);
        if (s !== undefined) drafts.push({ draft: s, src });
      } else if (kind === STANDALONE_KIND) {
        const r = readStandaloneConfig(src, top, root);
        locations.push(...r.locations);
        for (const s of r.schedules) drafts.push({ draft: s, src });
      } else if (kindEntry === undefined) {
        src.report(root, `document has no "kind"; expected one of ${KINDS.join(', ')}`);
      } else if (kind !== undefined) {
        const hint = didYouMean(kind, KINDS);
        src.report(kindEntry.value, `kind "${kind}" is not supported` + (hint ? `; did you mean "${hint}"?` : `; expected one of ${KINDS.join(', ')}`));
      }
    }
  }

  const extra: ConfigProblem[] = [];
  const byName = new Map<string, SnapshotLocation>();
  for (const l of locations) {
    const first = byName.get(l.name);
    if (first !== undefined) extra.push(problemAt(l.source, `location "${l.name}" is defined twice (first at ${first.source})`));
    else byName.set(l.name, l);
  }
  const schedules: ScheduleConfig[] = [];
  const seen = new Map<string, string>();
  for (const { draft, src } of drafts) {
    const first = seen.get(draft.name);
    if (first !== undefined) {
      src.report(draft.at, `schedule "${draft.name}" is defined twice (first at ${first})`);
      continue;
    }
    seen.set(draft.name, draft.source);
    let location = draft.location;
    if (location === undefined) {
      if (byName.size === 1) {
        location = [...byName.keys()][0]!;
      } else {
        src.report(
          draft.at,
          `schedule "${draft.name}" does not say which location to use and ${byName.size === 0 ? 'none is defined' : `there are ${byName.size} (${[...byName.keys()].join(', ')})`}; ` +
            'set it (Schedule: spec.template.volumeSnapshotLocations, standalone: location)',
        );
        continue;
      }
    } else if (!byName.has(location)) {
      const hint = didYouMean(location, [...byName.keys()]);
      src.report(
        draft.at,
        `schedule "${draft.name}" uses location "${location}", which is not defined in the config` +
          (hint ? `; did you mean "${hint}"?` : byName.size > 0 ? ` (defined: ${[...byName.keys()].join(', ')})` : ''),
      );
      continue;
    }
    const { at: _at, location: _loc, ...rest } = draft;
    schedules.push({ ...rest, location });
  }

  const problems = [...sources.flatMap((s) => s.sortedProblems()), ...extra];
  if (problems.length > 0) throw configError(problems);
  return { locations, schedules, warnings: sources.flatMap((s) => s.warnings) };
}

/** Reads and parses config files; the only I/O in src/config. */
export async function loadConfigFiles(paths: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<SnapstreamConfig> {
  const inputs: { file: string; text: string }[] = [];
  for (const file of paths) {
    let buf: Buffer;
    try {
      buf = await readFile(file, { signal: opts.signal });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new SnapstreamError(ErrorCode.NOT_FOUND, `config file ${file} does not exist`, { cause: e });
      throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `cannot read config file ${file}: ${(e as Error).message}`, { cause: e });
    }
    if (buf.length > MAX_CONFIG_BYTES) {
      throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `config file ${file} is ${buf.length} bytes; config files are limited to ${MAX_CONFIG_BYTES}`);
    }
    inputs.push({ file, text: buf.toString('utf8') });
  }
  return parseConfig(inputs);
}

function problemAt(source: string, message: string): ConfigProblem {
  const m = /^(.*):(\d+):(\d+)$/.exec(source)!;
  return { file: m[1]!, line: Number(m[2]), col: Number(m[3]), message };
}
