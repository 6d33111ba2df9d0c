// The low-level reference parser and builders of distribution/reference v0.6.0 (Parse,
// WithName, WithTag, WithDigest, TrimNamed, String). Never normalises: see normalize.ts.
import { digestError } from './digest';
import { InvalidReference, referenceErrors as errors } from './errors';
import {
  MAX_REFERENCE_LENGTH,
  anchoredDigestRegexp,
  anchoredNameRegexp,
  anchoredTagRegexp,
  goToLower,
  referenceRegexp,
} from './grammar';

/** Longest repository path Docker accepts (`RepositoryNameTotalLengthMax`); the domain is not counted. */
export const MAX_PATH_LENGTH = 255;

/** What `Parse` returns: a name that may have no domain (it does not normalise). */
export interface ParsedReference {
  domain?: string;
  path: string;
  tag?: string;
  digest?: string;
}

/**
 * A named reference as `ParseNormalizedNamed` returns it: fully qualified, e.g.
 * `{domain: 'docker.io', path: 'library/ubuntu', tag: '18.04'}`. A reference can have both
 * a tag and a digest. (Go leaves `domain` empty for odd names such as `foo_bar.com/x`.)
 */
export interface Reference extends ParsedReference {
  domain: string;
}

/** Builds a reference without keys for absent parts, so references compare structurally. */
function assemble<T extends ParsedReference>(name: T, tag: string | undefined, digest: string | undefined): T {
  const ref = { ...name };
  delete ref.tag;
  delete ref.digest;
  if (tag) ref.tag = tag;
  if (digest) ref.digest = digest;
  return ref;
}

function splitName(name: string): ParsedReference | undefined {
  const match = anchoredNameRegexp.exec(name);
  if (!match) return undefined;
  const path = match[2] ?? '';
  return match[1] ? { domain: match[1], path } : { path };
}

/** `reference.Parse`: any reference, domain optional. Throws `InvalidReference` with Go's message. */
export function parseReference(s: string): ParsedReference {
  if (s.length > MAX_REFERENCE_LENGTH) throw new InvalidReference(errors.ErrReferenceInvalidFormat);
  const match = referenceRegexp.exec(s);
  if (!match) {
    if (s === '') throw new InvalidReference(errors.ErrNameEmpty);
    if (referenceRegexp.test(goToLower(s))) throw new InvalidReference(errors.ErrNameContainsUppercase);
    throw new InvalidReference(errors.ErrReferenceInvalidFormat);
  }
  const nameText = match[1] ?? '';
  const name = splitName(nameText) ?? { path: nameText };
  if (name.path.length > MAX_PATH_LENGTH) throw new InvalidReference(errors.ErrNameTooLong);
  const digest = match[3];
  if (digest) {
    const problem = digestError(digest);
    if (problem) throw new InvalidReference(problem);
  }
  return assemble(name, match[2], digest);
}

/** `reference.WithName`: a bare name (no tag, no digest). */
export function withName(name: string): ParsedReference {
  const parsed = name.length > MAX_REFERENCE_LENGTH ? undefined : splitName(name);
  if (!parsed) throw new InvalidReference(errors.ErrReferenceInvalidFormat);
  if (parsed.path.length > MAX_PATH_LENGTH) throw new InvalidReference(errors.ErrNameTooLong);
  return parsed;
}

/** `reference.WithTag`: sets the tag, keeping any digest. */
export function withTag<T extends ParsedReference>(ref: T, tag: string): T {
  if (!anchoredTagRegexp.test(tag)) throw new InvalidReference(errors.ErrTagInvalidFormat);
  return assemble(ref, tag, ref.digest);
}

/**
 * `reference.WithDigest`: sets the digest, keeping any tag. Like Go, it checks only the
 * reference grammar's digest shape, not go-digest's algorithm and length rules.
 */
export function withDigest<T extends ParsedReference>(ref: T, digest: string): T {
  if (digest.length > MAX_REFERENCE_LENGTH || !anchoredDigestRegexp.test(digest)) {
    throw new InvalidReference(errors.ErrDigestInvalidFormat);
  }
  return assemble(ref, ref.tag, digest);
}

/** `reference.TrimNamed`: the name alone. */
export function trimNamed<T extends ParsedReference>(ref: T): T {
  return assemble(ref, undefined, undefined);
}

/** `Named.Name()`: `domain/path`, or just the path when there is no domain. */
export function nameString(ref: ParsedReference): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
}

/** `Reference.String()`: `name[:tag][@digest]`, with no default tag. */
export function referenceString(ref: ParsedReference): string {
  return nameString(ref) + (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
}
