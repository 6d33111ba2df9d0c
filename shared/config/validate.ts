// Turns config text (or a draft object from the rule editor) into a Config, or into a
// problem naming the file, line and dotted field. Pure: no Node, no DOM; never throws.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Pair, type YAMLError } from 'yaml';
import type { z } from 'zod';
import type { ConfigProblem } from '../ipc';
import { configKeys, configSchema, ruleKeys, type Config } from './schema';
import { cacheKeys, cacheRegistryKeys } from './cache-schema';

export type ParsedConfigText =
  | { ok: true; config: Config; doc: Document }
  | { ok: false; problem: ConfigProblem };

export type ValidatedConfig =
  | { ok: true; config: Config }
  | { ok: false; issues: { field: string; message: string }[] };

type Issue = z.core.$ZodIssue;
type PathSegment = PropertyKey;

/** One thing wrong, at a path; `atKey` when the key itself (not its value) is the mistake. */
export interface Finding {
  path: PathSegment[];
  message: string;
  atKey: boolean;
}

/**
 * Parses and validates a config file's text; the problem reported is the first in the file.
 * With `platform` (Node's name for the OS it runs on), a setting that OS cannot honour is a
 * problem too (see `platformFindings`).
 */
export function parseConfigText(text: string, file: string, platform?: string): ParsedConfigText {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    return { ok: false, problem: { file, ...position(syntaxError.pos[0]), message: yamlMessage(syntaxError) } };
  }
  if (doc.contents === null) {
    return { ok: false, problem: { file, message: 'the file is empty: it needs at least `version: 1`' } };
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    return { ok: false, problem: { file, message: `cannot expand the YAML: ${(error as Error).message}` } };
  }

  const result = configSchema.safeParse(value, { reportInput: true });
  const found = result.success
    ? (platform === undefined ? [] : platformFindings(result.data, platform))
    : findings(result.error.issues);
  if (result.success && found.length === 0) return { ok: true, config: result.data, doc };

  const problems = found.map((finding): ConfigProblem => {
    const offset = locate(doc, finding);
    return {
      file,
      ...(offset === undefined ? {} : position(offset)),
      ...(finding.path.length === 0 ? {} : { field: dotted(finding.path) }),
      message: finding.message,
    };
  });
  // The first problem in reading order is the one a person fixes first.
  const first = problems.reduce((best, p) => ((p.line ?? Infinity) < (best.line ?? Infinity) ? p : best));
  return { ok: false, problem: first };
}

/**
 * Settings that `platform` cannot honour. A socket `group` on Windows: Node cannot give a
 * named pipe a security descriptor, so the pipe keeps Windows' default one, and a group that
 * silently did nothing would let nobody in while the file says otherwise.
 */
export function platformFindings(config: Config, platform: string): Finding[] {
  if (platform === 'win32' && config.group !== undefined) {
    return [{
      path: ['group'], atKey: false,
      message: 'cannot be applied on Windows: the named pipe keeps Windows\' default security descriptor (you, administrators and LocalSystem), since Node cannot set one; remove group',
    }];
  }
  return [];
}

/**
 * Validates a draft config object (the rule editor's live validation) and lists every issue;
 * `field` is the dotted path, empty for the config as a whole.
 */
export function validateConfig(value: unknown): ValidatedConfig {
  const result = configSchema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    issues: findings(result.error.issues).map((f) => ({ field: dotted(f.path), message: f.message })),
  };
}

/** The one-line form: `config.yaml:7: rules.0.to: must be a registry location ...`. */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  return problem.field ? `${where}: ${problem.field}: ${problem.message}` : `${where}: ${problem.message}`;
}

function yamlMessage(error: YAMLError): string {
  if (error.code === 'MULTIPLE_DOCS') {
    return 'invalid YAML: the file holds more than one document (a second `---`), and a config file holds one';
  }
  const text = error.message.replace(/\s+/g, ' ').trim();
  return `invalid YAML: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

function findings(issues: readonly Issue[], prefix: PathSegment[] = []): Finding[] {
  return issues.flatMap((issue): Finding[] => {
    const path = [...prefix, ...issue.path];
    switch (issue.code) {
      case 'invalid_union': {
        // `to` is a string or a list: report against the branch whose type the value has.
        const matching = issue.errors.filter((branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0));
        const [only] = matching;
        return matching.length === 1 && only !== undefined
          ? findings(only, path)
          : [{ path, message: issue.message, atKey: false }];
      }
      case 'invalid_key':
        // A record's key (a cached registry) that is not valid: say why, against the key.
        return findings(issue.issues, path).map((f) => ({ ...f, atKey: true }));
      case 'unrecognized_keys':
        return issue.keys.map((key) => ({ path: [...path, key], message: unknownKeyMessage(key, path), atKey: true }));
      case 'invalid_type':
        return [{ path, message: typeMessage(issue, path), atKey: false }];
      default:
        return [{ path, message: issue.message, atKey: false }];
    }
  });
}

const expectedWords: Record<string, string> = {
  boolean: 'true or false',
  string: 'text',
  number: 'a number',
  array: 'a list',
  object: 'a mapping (key: value lines)',
};

function typeMessage(issue: Extract<Issue, { code: 'invalid_type' }>, path: PathSegment[]): string {
  if (issue.input === undefined) return 'is required';
  const expected = expectedWords[issue.expected] ?? issue.expected;
  if (path.length === 0) {
    return `the file must hold a mapping of settings, such as \`version: 1\`, not ${describeValue(issue.input)}`;
  }
  return `must be ${expected}, not ${describeValue(issue.input)}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

function unknownKeyMessage(key: string, parent: PathSegment[]): string {
  const known = knownKeys(parent);
  const guess = closestKey(key, known);
  if (guess !== undefined) return `is not a known key: did you mean ${guess}?`;
  return known.length > 0 ? `is not a known key; the keys allowed here are ${known.join(', ')}` : 'is not a known key';
}

function knownKeys(parent: PathSegment[]): readonly string[] {
  if (parent.length === 0) return configKeys;
  if (parent.length === 2 && parent[0] === 'rules') return ruleKeys;
  if (parent.length === 1 && parent[0] === 'cache') return cacheKeys;
  if (parent.length === 3 && parent[0] === 'cache' && parent[1] === 'registries') return cacheRegistryKeys;
  return [];
}

// A typo within two edits, or a different capitalisation.
function closestKey(key: string, known: readonly string[]): string | undefined {
  if (key.length > 40) return undefined;
  const lower = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= Math.min(2, candidate.length - 1) && (best === undefined || distance < best.distance)) {
      best = { key: candidate, distance };
    }
  }
  return best?.key;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The offset in the text of the node a finding is about: the key for an unknown key, the
 * value otherwise; for a missing key, the mapping that lacks it.
 */
function locate(doc: Document, finding: Finding): number | undefined {
  let node: unknown = doc.contents;
  let offset = rangeStart(node);
  for (const [index, segment] of finding.path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    if (isMap(node)) {
      const pair = (node.items as Pair[]).find((p) => keyText(p.key) === String(segment));
      if (pair !== undefined && finding.atKey && index === finding.path.length - 1) return rangeStart(pair.key) ?? offset;
      next = pair === undefined ? undefined : (pair.value ?? pair.key);
    } else if (isSeq(node)) {
      next = node.items[Number(segment)];
    }
    const start = rangeStart(next);
    if (start === undefined) return offset;
    node = next;
    offset = start;
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  if (typeof node !== 'object' || node === null || !('range' in node)) return undefined;
  const range = (node as { range?: [number, number, number] | null }).range;
  return range?.[0];
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

function dotted(path: PathSegment[]): string {
  return path.map(String).join('.');
}
