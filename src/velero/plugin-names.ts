import { ErrorCode, SnapstreamError } from '../errors.js';

export const SNAPSTREAM_PLUGIN_NAME = 'snapstream.io/zfs';
/** The Go plugin's names, which snapstream answers only when asked to (a drop-in replacement). */
export const OPENEBS_PLUGIN_NAMES = ['openebs.io/cstor-blockstore', 'openebs.io/zfspv-blockstore'] as const;
export const KNOWN_PLUGIN_NAMES = [SNAPSTREAM_PLUGIN_NAME, ...OPENEBS_PLUGIN_NAMES] as const;
export const PLUGIN_NAMES_ENV = 'SNAPSTREAM_VELERO_PLUGIN_NAMES';

/**
 * The names the executable registers: snapstream.io/zfs, unless $SNAPSTREAM_VELERO_PLUGIN_NAMES
 * lists others ("openebs" is short for both OpenEBS names). Opt-in because Velero refuses to start
 * when two plugins register the same name: the OpenEBS plugin must be removed first.
 */
export function pluginNames(env: NodeJS.ProcessEnv = process.env): string[] {
  const text = env[PLUGIN_NAMES_ENV]?.trim();
  if (text === undefined || text === '') return [SNAPSTREAM_PLUGIN_NAME];
  const out: string[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const names = raw === 'openebs' ? [...OPENEBS_PLUGIN_NAMES] : [raw];
    for (const n of names) {
      if (!(KNOWN_PLUGIN_NAMES as readonly string[]).includes(n)) {
        throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${PLUGIN_NAMES_ENV}: "${n}" is not a name this plugin can serve; use ${KNOWN_PLUGIN_NAMES.join(', ')} or "openebs"`);
      }
      if (!out.includes(n)) out.push(n);
    }
  }
  if (out.length === 0) throw new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${PLUGIN_NAMES_ENV} names no plugin`);
  return out;
}
