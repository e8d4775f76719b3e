import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type YAMLMap } from 'yaml';
import { ErrorCode, SnapstreamError } from '../errors.js';
import { didYouMean } from '../parse/did-you-mean.js';

export interface ConfigProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

/** A YAML mapping's entries with their nodes, so every problem can point at its key or value. */
export interface MapEntry {
  key: string;
  keyNode: Node;
  value: Node | null;
}

/**
 * One config text, parsed with source positions, plus the problems found in it. Readers report
 * every problem they see instead of stopping at the first, so a user fixes a file in one pass; the
 * caller throws them together (configError). Every message starts with `file:line:col`.
 */
export class ConfigSource {
  readonly problems: ConfigProblem[] = [];
  readonly warnings: string[] = [];
  readonly documents: Document.Parsed[];
  private readonly lines = new LineCounter();

  constructor(
    readonly file: string,
    text: string,
  ) {
    // uniqueKeys (default) turns a repeated key into an error instead of last-one-wins.
    this.documents = parseAllDocuments(text, { lineCounter: this.lines, prettyErrors: false }) as Document.Parsed[];
    if (!Array.isArray(this.documents)) this.documents = [];
    for (const doc of this.documents) {
      for (const e of doc.errors) this.reportAt(e.pos[0], `invalid YAML: ${firstLine(e.message)}`);
    }
  }

  /** "file:line:col" of a node (of its start), 1-based as editors show it. */
  where(node: Node | null | undefined): string {
    const p = this.pos(node?.range?.[0] ?? 0);
    return `${this.file}:${p.line}:${p.col}`;
  }

  report(node: Node | null | undefined, message: string): void {
    this.reportAt(node?.range?.[0] ?? 0, message);
  }

  warn(node: Node | null | undefined, message: string): void {
    this.warnings.push(`${this.where(node)}: ${message}`);
  }

  /** Runs `f`; a SnapstreamError it throws (e.g. from parseBoolean) becomes a problem at `node`. */
  attempt<T>(node: Node | null | undefined, f: () => T): T | undefined {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof SnapstreamError)) throw e;
      this.report(node, e.message);
      return undefined;
    }
  }

  /** Problems in file order, the order an editor shows them. */
  sortedProblems(): ConfigProblem[] {
    return [...this.problems].sort((a, b) => a.line - b.line || a.col - b.col);
  }

  /** Entries of a mapping, or a problem (and undefined) when `node` is not one. */
  map(node: Node | null | undefined, what: string, at?: Node | null): MapEntry[] | undefined {
    if (!isMap(node)) {
      this.report(node ?? at, `${what} must be a mapping (key: value)`);
      return undefined;
    }
    return entries(this, node);
  }

  /**
   * Reports keys that are not in `allowed` (with a "did you mean" for near misses) and keys whose
   * value is empty. `ignored` keys are accepted silently (fields of the Velero API that snapstream
   * has no use for, so a manifest copied from a cluster still parses).
   */
  checkKeys(entriesIn: MapEntry[], what: string, allowed: readonly string[], ignored: readonly string[] = []): void {
    for (const e of entriesIn) {
      if (allowed.includes(e.key) || ignored.includes(e.key)) continue;
      const hint = didYouMean(e.key, [...allowed, ...ignored]);
      this.report(
        e.keyNode,
        `unknown key "${e.key}" in ${what}` + (hint ? `; did you mean "${hint}"?` : `; known keys: ${allowed.join(', ')}`),
      );
    }
  }

  /** A string scalar, or undefined with a problem. Numbers and booleans are refused unless `coerce`. */
  string(e: MapEntry, what: string, coerce = false): string | undefined {
    const v = e.value;
    if (isAlias(v)) return undefined; // reported once, when the mapping was read
    if (v === null || (isScalar(v) && v.value === null)) {
      this.report(e.keyNode, `${what} must have a value`);
      return undefined;
    }
    if (!isScalar(v)) {
      this.report(v, `${what} must be a single value, not a ${isSeq(v) ? 'list' : 'mapping'}`);
      return undefined;
    }
    if (typeof v.value === 'string') return v.value;
    if (coerce && (typeof v.value === 'number' || typeof v.value === 'boolean')) {
      return typeof v.source === 'string' ? v.source : String(v.value);
    }
    this.report(v, `${what} must be a string, got ${typeof v.value} ${JSON.stringify(v.value)}`);
    return undefined;
  }

  /** A list of strings. */
  stringList(e: MapEntry, what: string): string[] | undefined {
    if (!isSeq(e.value)) {
      this.report(e.value ?? e.keyNode, `${what} must be a list`);
      return undefined;
    }
    const out: string[] = [];
    for (const item of e.value.items) {
      if (isScalar(item) && typeof item.value === 'string') out.push(item.value);
      else this.report(item as Node, `${what} must contain only strings`);
    }
    return out;
  }

  private reportAt(offset: number, message: string): void {
    const p = this.pos(offset);
    this.problems.push({ file: this.file, line: p.line, col: p.col, message });
  }

  private pos(offset: number): { line: number; col: number } {
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }
}

function entries(src: ConfigSource, node: YAMLMap): MapEntry[] {
  const out: MapEntry[] = [];
  for (const pair of node.items) {
    const k = pair.key as Node | null;
    if (!isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number' && typeof k.value !== 'boolean')) {
      src.report(k, 'keys must be plain strings');
      continue;
    }
    // Aliases are refused rather than resolved: a config is short enough to write out, and not
    // expanding them rules out alias bombs in files that come from elsewhere.
    if (isAlias(pair.value)) {
      src.report(pair.value as Node, `"${String(k.value)}": YAML aliases (*name) are not supported in config; write the value out`);
    }
    out.push({ key: String(k.value), keyNode: k, value: (pair.value as Node | null) ?? null });
  }
  return out;
}

export function configError(problems: readonly ConfigProblem[]): SnapstreamError {
  const lines = problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`);
  const message = lines.length === 1 ? lines[0]! : `${lines.length} problems in config:\n  ${lines.join('\n  ')}`;
  return new SnapstreamError(ErrorCode.INVALID_ARGUMENT, message, { details: { problems: problems.map((p) => ({ ...p })) } });
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}
