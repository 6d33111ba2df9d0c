// Docker's normalising parsers from distribution/reference v0.6.0 normalize.go: what `docker
// pull ubuntu` means (`docker.io/library/ubuntu`). Never invents rules of its own.
import { isDigest } from './digest';
import { InvalidReference, referenceErrors as errors } from './errors';
import { anchoredIdentifierRegexp, goToLower } from './grammar';
import { type Reference, parseReference, referenceString, withTag } from './parse';

const legacyDefaultDomain = 'index.docker.io';
const defaultDomain = 'docker.io';
const officialRepoPrefix = 'library/';
const defaultTag = 'latest';

/** A 64-hex image ID; the length test keeps the regex off long input. */
const isIdentifier = (s: string): boolean => s.length === 64 && anchoredIdentifierRegexp.test(s);

/** `splitDockerDomain`: the text before the first `/` is a domain only if it looks like one. */
function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const slash = name.indexOf('/');
  if (slash === -1) return [defaultDomain, officialRepoPrefix + name];
  const maybeDomain = name.slice(0, slash);
  const maybeRemainder = name.slice(slash + 1);
  let domain: string;
  let remainder: string;
  if (maybeDomain === legacyDefaultDomain) {
    [domain, remainder] = [defaultDomain, maybeRemainder];
  } else if (
    maybeDomain === 'localhost' ||
    maybeDomain.includes('.') ||
    maybeDomain.includes(':') ||
    goToLower(maybeDomain) !== maybeDomain
  ) {
    // An uppercase first component counts as a domain (`Foo/bar`): a known quirk upstream keeps.
    [domain, remainder] = [maybeDomain, maybeRemainder];
  } else {
    [domain, remainder] = [defaultDomain, name];
  }
  if (domain === defaultDomain && !remainder.includes('/')) remainder = officialRepoPrefix + remainder;
  return [domain, remainder];
}

/** `reference.ParseNormalizedNamed`: `ubuntu:18.04` becomes `docker.io/library/ubuntu:18.04`. */
export function parseNormalizedNamed(s: string): Reference {
  if (isIdentifier(s)) {
    throw new InvalidReference(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const [domain, remainder] = splitDockerDomain(s);
  const tagSeparator = remainder.indexOf(':');
  const remote = tagSeparator > -1 ? remainder.slice(0, tagSeparator) : remainder;
  if (goToLower(remote) !== remote) {
    throw new InvalidReference(`invalid reference format: repository name (${remote}) must be lowercase`);
  }
  const ref = parseReference(`${domain}/${remainder}`);
  return { ...ref, domain: ref.domain ?? '' };
}

/** `reference.ParseNamed`: only accepts a name already in canonical (fully qualified) form. */
export function parseNamed(s: string): Reference {
  const ref = parseNormalizedNamed(s);
  if (referenceString(ref) !== s) throw new InvalidReference(errors.ErrNameNotCanonical);
  return ref;
}

/**
 * `reference.ParseAnyReference`: an image ID (64 hex) or a digest becomes a digest-only
 * reference; anything else is parsed as a normalised name.
 */
export function parseAnyReference(s: string): Reference | { digest: string } {
  if (isIdentifier(s)) return { digest: `sha256:${s}` };
  if (isDigest(s)) return { digest: s };
  return parseNormalizedNamed(s);
}

/** `reference.TagNameOnly`: adds `:latest` only when there is neither a tag nor a digest. */
export function tagNameOnly(ref: Reference): Reference {
  return ref.tag || ref.digest ? ref : withTag(ref, defaultTag);
}

/** `reference.ParseDockerRef`: normalised, `:latest` by default, and a digest wins over a tag. */
export function parseDockerRef(s: string): Reference {
  const ref = parseNormalizedNamed(s);
  if (ref.tag && ref.digest) return { domain: ref.domain, path: ref.path, digest: ref.digest };
  return tagNameOnly(ref);
}
