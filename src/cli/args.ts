import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ErrorCode, SnapstreamError } from '../errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every command accepts. */
export const COMMON: Options = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  quiet: { type: 'boolean', short: 'q' },
};

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** parseArgs with errors turned into usage errors (exit 2) that name the command's --help. */
export function parse(command: string, argv: string[], options: Options, maxPositionals = 0): Parsed {
  let r;
  try {
    r = parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (e) {
    throw usage(command, (e as Error).message.replace(/\. To specify a positional argument.*$/, ''));
  }
  if (r.positionals.length > maxPositionals && !r.values.help) {
    throw usage(command, `unexpected argument ${JSON.stringify(r.positionals[maxPositionals])}`);
  }
  return { values: r.values as Parsed['values'], positionals: r.positionals };
}

export function usage(command: string, message: string): SnapstreamError {
  return new SnapstreamError(ErrorCode.INVALID_ARGUMENT, `${message} (see "snapstream ${command} --help")`);
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function required(command: string, p: Parsed, name: string, what: string): string {
  const v = str(p, name);
  if (v === undefined || v === '') throw usage(command, `--${name} is required: ${what}`);
  return v;
}

export function int(command: string, p: Parsed, name: string, min: number, max: number): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw usage(command, `--${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`);
  return n;
}
