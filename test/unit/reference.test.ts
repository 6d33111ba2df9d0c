// Behaviour of the reference port beyond the upstream tables: linear time on hostile input,
// the length cap, go-digest's rules, and the Go quirks the proxy must reproduce.
import { describe, expect, it } from 'vitest';
import {
  InvalidReference,
  MAX_REFERENCE_LENGTH,
  digestError,
  familiarString,
  isDigest,
  parseAnyReference,
  parseDockerRef,
  parseNormalizedNamed,
  parseReference,
  referenceString,
  tagNameOnly,
  trimNamed,
  withDigest,
  withTag,
} from '#shared/reference';

const hex = (n: number, digit = 'a'): string => digit.repeat(n);

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidReference);
    return (error as Error).message;
  }
  return 'no error';
}

describe('linear time on hostile input', () => {
  // Each input is rejected by Go's grammar; the old `[-]*` separator makes V8 take exponential time on these.
  const hostile = (n: number): Record<string, string> => ({
    'letters then !': `${'a'.repeat(n)}!`,
    'a run of dashes': `a${'-'.repeat(n)}!`,
    'alternating a-': `${'a-'.repeat(n / 2)}!`,
    'alternating a.': `${'a.'.repeat(n / 2)}!`,
    'double underscores': `${'a__'.repeat(n / 3)}!`,
    'many path components': `${'a/'.repeat(n / 2)}a!`,
    'dashed domain then bad path': `${'a-'.repeat(n / 2)}a.com:5000/x!`,
    'digest hex then !': `a@sha256:${'a'.repeat(n)}!`,
  });

  it('rejects 50,000-character pathological inputs with Go’s answer, in well under a second', () => {
    const started = performance.now();
    for (const input of Object.values(hostile(50_000))) {
      expect(input.length).toBeGreaterThan(MAX_REFERENCE_LENGTH);
      expect(errorOf(() => parseNormalizedNamed(input))).toBe('invalid reference format');
      expect(errorOf(() => parseReference(input))).toBe('invalid reference format');
      expect(errorOf(() => parseAnyReference(input))).toBe('invalid reference format');
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('runs the grammar on pathological inputs just under the cap without blowing up', () => {
    const started = performance.now();
    for (const input of Object.values(hostile(MAX_REFERENCE_LENGTH - 40))) {
      expect(input.length).toBeLessThanOrEqual(MAX_REFERENCE_LENGTH - 18);
      expect(errorOf(() => parseNormalizedNamed(input))).toBe('invalid reference format');
      expect(errorOf(() => parseReference(input))).toBe('invalid reference format');
    }
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('the input length cap', () => {
  it('refuses input longer than the cap as an invalid format without reading it (Go would say the name is too long)', () => {
    expect(errorOf(() => parseNormalizedNamed('a'.repeat(MAX_REFERENCE_LENGTH + 1)))).toBe('invalid reference format');
  });

  it('still gives Go’s exact message for a long name under the cap', () => {
    expect(errorOf(() => parseNormalizedNamed('a'.repeat(1000)))).toBe(
      'repository name must not be more than 255 characters',
    );
  });

  it('accepts the longest realistic reference: 253-character host, 255-character path, 128-character tag, sha512 digest', () => {
    const host = `${'h'.repeat(63)}.${'i'.repeat(63)}.${'j'.repeat(63)}.${'k'.repeat(61)}`;
    expect(host).toHaveLength(253);
    const input = `${host}:65535/${'p'.repeat(255)}:${'t'.repeat(128)}@sha512:${hex(128)}`;
    const ref = parseNormalizedNamed(input);
    expect(ref.domain).toBe(`${host}:65535`);
    expect(ref.path).toHaveLength(255);
    expect(referenceString(ref)).toBe(input);
  });
});

describe('digests as go-digest validates them', () => {
  it('accepts sha256, sha384 and sha512 with exactly 64, 96 and 128 lowercase hex digits', () => {
    expect(isDigest(`sha256:${hex(64)}`)).toBe(true);
    expect(isDigest(`sha384:${hex(96, '0')}`)).toBe(true);
    expect(isDigest(`sha512:${hex(128, 'f')}`)).toBe(true);
  });

  it('rejects the wrong length, uppercase hex, unknown algorithms and malformed strings with go-digest’s messages', () => {
    expect(digestError(`sha256:${hex(63)}`)).toBe('invalid checksum digest length');
    expect(digestError(`sha384:${hex(64)}`)).toBe('invalid checksum digest length');
    // go-digest checks the length first, then that the hex is lowercase.
    expect(digestError(`sha256:${hex(64, 'A')}`)).toBe('invalid checksum digest format');
    expect(digestError(`sha1:${hex(40)}`)).toBe('unsupported digest algorithm');
    expect(digestError(`md5:${hex(32)}`)).toBe('unsupported digest algorithm');
    expect(digestError(`SHA256:${hex(64)}`)).toBe('invalid checksum digest format');
    expect(digestError('sha256:')).toBe('invalid checksum digest format');
    expect(digestError(`:${hex(64)}`)).toBe('invalid checksum digest format');
    expect(digestError(hex(64))).toBe('invalid checksum digest format');
    expect(isDigest(`sha256:${hex(64, 'A')}`)).toBe(false);
  });

  it('gives a reference with uppercase digest hex go-digest’s format error, though the grammar allows it', () => {
    expect(errorOf(() => parseNormalizedNamed(`ubuntu@sha256:${hex(64, 'A')}`))).toBe('invalid checksum digest format');
  });

  it('accepts a sha384 digest in a reference, as Docker binaries do', () => {
    expect(parseNormalizedNamed(`ubuntu@sha384:${hex(96)}`).digest).toBe(`sha384:${hex(96)}`);
  });

  it('reads a bare image ID or a digest as a digest-only reference in parseAnyReference', () => {
    expect(parseAnyReference(hex(64, 'b'))).toEqual({ digest: `sha256:${hex(64, 'b')}` });
    expect(parseAnyReference(`sha512:${hex(128)}`)).toEqual({ digest: `sha512:${hex(128)}` });
    expect(errorOf(() => parseNormalizedNamed(hex(64, 'b')))).toBe(
      `invalid repository name (${hex(64, 'b')}), cannot specify 64-byte hexadecimal strings`,
    );
  });
});

describe('Go quirks the port keeps', () => {
  it('lowercases like Go’s strings.ToLower, so a dotted capital I counts as an uppercase i', () => {
    expect(errorOf(() => parseNormalizedNamed('\u0130.com/foo'))).toBe('repository name must be lowercase');
    expect(errorOf(() => parseNormalizedNamed('\u00c9.com/foo'))).toBe('invalid reference format');
  });

  it('leaves the domain empty when the first component has a dot but is not a valid host', () => {
    const ref = parseNormalizedNamed('foo_bar.com/x:1');
    expect(ref).toEqual({ domain: '', path: 'foo_bar.com/x', tag: '1' });
    expect(referenceString(ref)).toBe('foo_bar.com/x:1');
  });

  it('keeps both tag and digest, but parseDockerRef keeps only the digest', () => {
    const input = `ubuntu:18.04@sha256:${hex(64)}`;
    expect(familiarString(parseNormalizedNamed(input))).toBe(input);
    expect(referenceString(parseDockerRef(input))).toBe(`docker.io/library/ubuntu@sha256:${hex(64)}`);
  });

  it('adds the latest tag only to a bare name', () => {
    expect(referenceString(tagNameOnly(parseNormalizedNamed('ubuntu')))).toBe('docker.io/library/ubuntu:latest');
    expect(tagNameOnly(parseNormalizedNamed(`ubuntu@sha256:${hex(64)}`)).tag).toBeUndefined();
  });

  it('builds references as the daemon does for fromImage plus a tag or digest parameter', () => {
    const ref = parseNormalizedNamed('ubuntu:20.04');
    expect(referenceString(withTag(ref, '18.04'))).toBe('docker.io/library/ubuntu:18.04');
    expect(referenceString(withDigest(trimNamed(ref), `sha256:${hex(64)}`))).toBe(
      `docker.io/library/ubuntu@sha256:${hex(64)}`,
    );
    expect(errorOf(() => withTag(ref, 'x'.repeat(129)))).toBe('invalid tag format');
  });

  it('raises InvalidReference, an Error named for what went wrong', () => {
    expect(() => parseNormalizedNamed('UPPER')).toThrow(
      expect.objectContaining({
        name: 'InvalidReference',
        message: 'invalid reference format: repository name (library/UPPER) must be lowercase',
      }),
    );
    expect(new InvalidReference('x')).toBeInstanceOf(Error);
  });
});
