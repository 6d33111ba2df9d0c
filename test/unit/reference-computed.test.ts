// Computed oracle (not upstream assertions): the output of running v0.6.0's ParseNormalizedNamed
// and ParseAnyReference in Go on every upstream input plus 31 proxy-relevant ones, checked field by field.
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
  parseNormalizedNamed,
  referenceString,
  tagNameOnly,
} from '#shared/reference';

// Kept in the repository with their source and licence (test/fixtures/reference-vectors/README.md).
const vectorsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'reference-vectors');

interface ComputedVector {
  input: string;
  origin: 'upstream-test-input' | 'added-for-proxy';
  valid: boolean;
  error?: string;
  normalized?: string;
  familiar?: string;
  familiarName?: string;
  normalizedWithDefaultTag?: string;
  domain?: string;
  path?: string;
  tag?: string | null;
  digest?: string | null;
  parseAnyReference: { ok: true; string: string; goType: string } | { ok: false; error: string };
}

const vectors = JSON.parse(
  readFileSync(path.join(vectorsDir, 'reference-vectors-computed.json'), 'utf8'),
) as ComputedVector[];
const shortInput = (s: string): string => (s.length > 70 ? `${s.slice(0, 67)}…(${s.length})` : s);
const cases = vectors.map((v) => [shortInput(v.input), v] as const);

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidReference);
    return (error as Error).message;
  }
  return 'no error';
}

/** The Go type ParseAnyReference returned, as our shape implies it. */
function goType(ref: Reference | { digest: string }): string {
  if (!('path' in ref)) return 'reference.digestReference';
  if (ref.tag && ref.digest) return 'reference.reference';
  if (ref.tag) return 'reference.taggedReference';
  if (ref.digest) return 'reference.canonicalReference';
  return 'reference.repository';
}

describe('computed oracle reference-vectors-computed.json', () => {
  it('holds 310 entries, 31 of them added for the proxy', () => {
    expect(vectors).toHaveLength(310);
    expect(vectors.filter((v) => v.origin === 'added-for-proxy')).toHaveLength(31);
  });

  it.each(cases)('computed: ParseNormalizedNamed(%s)', (_input, v) => {
    if (!v.valid) {
      expect(errorOf(() => parseNormalizedNamed(v.input))).toBe(v.error);
      return;
    }
    const ref = parseNormalizedNamed(v.input);
    expect({
      normalized: referenceString(ref),
      familiar: familiarString(ref),
      familiarName: familiarName(ref),
      normalizedWithDefaultTag: referenceString(tagNameOnly(ref)),
      domain: ref.domain,
      path: ref.path,
      tag: ref.tag ?? null,
      digest: ref.digest ?? null,
    }).toEqual({
      normalized: v.normalized,
      familiar: v.familiar,
      familiarName: v.familiarName,
      normalizedWithDefaultTag: v.normalizedWithDefaultTag,
      domain: v.domain,
      path: v.path,
      tag: v.tag,
      digest: v.digest,
    });
  });

  it.each(cases)('computed: ParseAnyReference(%s)', (_input, v) => {
    const expected = v.parseAnyReference;
    if (!expected.ok) {
      expect(errorOf(() => parseAnyReference(v.input))).toBe(expected.error);
      return;
    }
    const ref = parseAnyReference(v.input);
    expect('path' in ref ? referenceString(ref) : ref.digest).toBe(expected.string);
    expect(goType(ref)).toBe(expected.goType);
  });
});
