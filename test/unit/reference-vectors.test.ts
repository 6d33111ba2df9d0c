// distribution/reference v0.6.0's own test tables (as JSON in test/fixtures/reference-vectors)
// run against our port: every entry of the main table and the low-level functions we port.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  InvalidReference,
  type Reference,
  familiarName,
  familiarString,
  parseAnyReference,
  parseDockerRef,
  parseNamed,
  parseNormalizedNamed,
  parseReference,
  referenceString,
  withDigest,
  withName,
  withTag,
} from '#shared/reference';
import {
  anchoredDomainRegexp,
  anchoredIdentifierRegexp,
  anchoredNameRegexp,
  referenceRegexp,
} from '#shared/reference/grammar';

// Kept in the repository with their source and licence (test/fixtures/reference-vectors/README.md).
const vectorsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'reference-vectors');
const load = <T>(file: string): T[] => JSON.parse(readFileSync(path.join(vectorsDir, file), 'utf8')) as T[];

interface MainVector {
  function: 'ParseNormalizedNamed' | 'ParseAnyReference' | 'ParseDockerRef';
  input: string;
  valid: boolean;
  normalized?: string;
  familiar?: string;
  familiarFn?: 'FamiliarName' | 'FamiliarString';
  domain?: string;
  path?: string;
  isNamedTagged?: boolean;
  isCanonical?: boolean;
  equalsParseOf?: string;
  dockerRef?: string;
}

interface LowLevelVector {
  function: string;
  input?: string;
  valid?: boolean;
  string?: string;
  name?: string;
  domain?: string;
  path?: string;
  tag?: string | null;
  digest?: string | null;
  normalized?: string;
  equalsParseOf?: string;
  referenceType?: string;
  error?: { var: string; message: string };
  args?: { tag?: string; digest?: string };
  match?: boolean;
}

const shortInput = (s: string): string => (s.length > 70 ? `${s.slice(0, 67)}…(${s.length})` : s);
const isNamed = (r: Reference | { digest: string }): r is Reference => 'path' in r;

function thrown(fn: () => unknown): InvalidReference {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidReference);
    return error as InvalidReference;
  }
  throw new Error('expected an InvalidReference, but the call succeeded');
}

describe('upstream table reference-vectors.json (normalising parsers)', () => {
  const vectors = load<MainVector>('reference-vectors.json');

  it('holds all 130 upstream assertions', () => {
    expect(vectors).toHaveLength(130);
  });

  it.each(vectors.map((v) => [v.function, shortInput(v.input), v] as const))('%s(%s)', (_fn, _input, v) => {
    if (!v.valid) {
      const parse = v.function === 'ParseDockerRef' ? parseDockerRef : v.function === 'ParseAnyReference' ? parseAnyReference : parseNormalizedNamed;
      thrown(() => parse(v.input));
      return;
    }
    if (v.function === 'ParseDockerRef') {
      expect(referenceString(parseDockerRef(v.input))).toBe(v.dockerRef);
      return;
    }
    if (v.function === 'ParseAnyReference') {
      const any = parseAnyReference(v.input);
      expect(isNamed(any)).toBe(true);
      expect(any).toEqual(parseNormalizedNamed(v.equalsParseOf ?? ''));
      expect(isNamed(any) && referenceString(any)).toBe(v.normalized);
      return;
    }
    const ref = parseNormalizedNamed(v.input);
    if (v.normalized !== undefined) expect(referenceString(ref)).toBe(v.normalized);
    if (v.domain !== undefined) expect(ref.domain).toBe(v.domain);
    if (v.path !== undefined) expect(ref.path).toBe(v.path);
    if (v.familiar !== undefined) {
      expect(v.familiarFn === 'FamiliarString' ? familiarString(ref) : familiarName(ref)).toBe(v.familiar);
    }
    if (v.isNamedTagged !== undefined) expect(ref.tag !== undefined).toBe(v.isNamedTagged);
    if (v.isCanonical !== undefined) expect(ref.digest !== undefined).toBe(v.isCanonical);
  });
});

describe('upstream table reference-vectors-lowlevel.json', () => {
  const vectors = load<LowLevelVector>('reference-vectors-lowlevel.json');
  const ofFunction = (...names: string[]): LowLevelVector[] => vectors.filter((v) => names.includes(v.function));
  const cases = (list: LowLevelVector[]) => list.map((v) => [shortInput(v.input ?? ''), v] as const);

  const ported = [
    'Parse', 'Field.UnmarshalText', 'WithName', 'WithName+WithTag', 'WithName+WithDigest', 'WithName+WithDigest+WithTag',
    'WithName+WithTag+WithDigest', 'ParseNormalizedNamed+WithTag', 'ParseNormalizedNamed+WithDigest', 'ParseNamed',
    'ParseAnyReference', 'regexp:^DomainRegexp$', 'regexp:anchoredNameRegexp', 'regexp:ReferenceRegexp',
    'regexp:anchoredIdentifierRegexp',
  ];
  // FamiliarMatch (a path.Match glob) and Sort are not ported: nothing in docker-caching needs them.
  const unported = ['ParseAnyReference+FamiliarMatch', 'Sort'];

  it('runs 207 of the 222 entries: all but the unported FamiliarMatch and Sort', () => {
    expect(vectors.every((v) => ported.includes(v.function) || unported.includes(v.function))).toBe(true);
    expect(ofFunction(...ported)).toHaveLength(207);
    expect(ofFunction(...unported)).toHaveLength(15);
  });

  it.each(cases(ofFunction('Parse', 'Field.UnmarshalText')))('Parse(%s)', (_input, v) => {
    const input = v.input ?? '';
    if (v.error) {
      expect(thrown(() => parseReference(input)).message).toBe(v.error.message);
      return;
    }
    const ref = parseReference(input);
    if (v.string !== undefined) expect(referenceString(ref)).toBe(v.string);
    if (v.name !== undefined) expect(referenceString({ domain: ref.domain, path: ref.path })).toBe(v.name);
    if (v.domain !== undefined) expect(ref.domain ?? '').toBe(v.domain);
    if (v.tag !== undefined) expect(ref.tag ?? null).toBe(v.tag);
    if (v.digest !== undefined) expect(ref.digest ?? null).toBe(v.digest);
  });

  it.each(cases(ofFunction('WithName')))('WithName(%s)', (_input, v) => {
    const input = v.input ?? '';
    if (v.error) {
      expect(thrown(() => withName(input)).message).toBe(v.error.message);
      return;
    }
    const ref = withName(input);
    expect(ref.domain ?? '').toBe(v.domain);
    expect(ref.path).toBe(v.path);
  });

  const builders = ofFunction(...ported.filter((fn) => fn.startsWith('WithName+')));
  it.each(builders.map((v) => [v.function, shortInput(v.input ?? ''), v] as const))('%s(%s)', (fn, _input, v) => {
    let ref = withName(v.input ?? '');
    for (const step of fn.split('+').slice(1)) {
      ref = step === 'WithTag' ? withTag(ref, v.args?.tag ?? '') : withDigest(ref, v.args?.digest ?? '');
    }
    expect(referenceString(ref)).toBe(v.string);
  });

  it.each(cases(ofFunction('ParseNormalizedNamed+WithTag', 'ParseNormalizedNamed+WithDigest')))(
    'rejects a bad tag or digest added to %s',
    (_input, v) => {
      const ref = parseNormalizedNamed(v.input ?? '');
      const error = thrown(() => (v.args?.tag !== undefined ? withTag(ref, v.args.tag) : withDigest(ref, v.args?.digest ?? '')));
      expect(error.message).toBe(v.args?.tag !== undefined ? 'invalid tag format' : 'invalid digest format');
    },
  );

  it.each(cases(ofFunction('ParseNamed')))('ParseNamed(%s)', (_input, v) => {
    const input = v.input ?? '';
    if (v.error) {
      expect(thrown(() => parseNamed(input)).message).toBe(v.error.message);
      return;
    }
    const ref = parseNamed(input);
    expect(ref.domain).toBe(v.domain);
    expect(ref.path).toBe(v.path);
  });

  it.each(cases(ofFunction('ParseAnyReference')))('ParseAnyReference(%s)', (_input, v) => {
    const ref = parseAnyReference(v.input ?? '');
    if (v.referenceType === 'digestReference') {
      expect(ref).toEqual({ digest: v.digest });
    } else {
      expect(isNamed(ref) && referenceString(ref)).toBe(v.normalized);
      expect(ref).toEqual(parseNormalizedNamed(v.equalsParseOf ?? ''));
    }
  });

  it.each(cases(ofFunction('regexp:^DomainRegexp$')))('DomainRegexp matches %s as upstream says', (_input, v) => {
    expect(anchoredDomainRegexp.test(v.input ?? '')).toBe(v.match);
  });

  it.each(cases(ofFunction('regexp:anchoredNameRegexp')))('anchoredNameRegexp on %s', (_input, v) => {
    const match = anchoredNameRegexp.exec(v.input ?? '');
    expect(match !== null).toBe(v.match);
    if (match && v.domain !== undefined) expect(match[1] ?? '').toBe(v.domain);
    if (match && v.path !== undefined) expect(match[2]).toBe(v.path);
  });

  it.each(cases(ofFunction('regexp:ReferenceRegexp')))('ReferenceRegexp on %s', (_input, v) => {
    const match = referenceRegexp.exec(v.input ?? '');
    expect(match !== null).toBe(v.match);
    if (match) expect([match[1], match[2] ?? '', match[3] ?? '']).toEqual([v.name, v.tag, v.digest]);
  });

  it.each(cases(ofFunction('regexp:anchoredIdentifierRegexp')))('anchoredIdentifierRegexp on %s', (_input, v) => {
    expect(anchoredIdentifierRegexp.test(v.input ?? '')).toBe(v.match);
  });
});
