// Turns an original reference into a mirror reference by prefix substitution, and says in
// words why when the result would not be a valid image name. Never throws for a bad mirror.
import { InvalidReference, type Reference, nameString, parseNormalizedNamed, referenceString } from '../reference';
import { parsePrefix, pathAfterPrefix, prefixSpecificity } from './prefix';

/** A mirror reference, or why there is none; `text` is what would be pulled either way. */
export type RewrittenName = { ref: Reference; text: string } | { ref: null; text: string; skipped: string };

/** Rewrites `ref` for one mirror location, keeping its tag and digest. */
export function rewriteCandidate(ref: Reference, from: string, mirror: string): RewrittenName {
  const prefix = parsePrefix(from);
  const suffix = (ref.tag ? `:${ref.tag}` : '') + (ref.digest ? `@${ref.digest}` : '');
  if (!prefixSpecificity(prefix, ref)) {
    return { ref: null, text: referenceString(ref), skipped: `${from} does not cover ${nameString(ref)}.` };
  }
  const slash = mirror.indexOf('/');
  const mirrorDomain = slash === -1 ? mirror : mirror.slice(0, slash);
  const path = [slash === -1 ? '' : mirror.slice(slash + 1), pathAfterPrefix(prefix, ref.path)].filter(Boolean).join('/');
  const text = `${mirrorDomain}/${path}${suffix}`;
  if (path === '') {
    return {
      ref: null,
      text,
      skipped: `${from} covers the whole name ${nameString(ref)} and the mirror location ${mirror} has no path to put in its place, so the mirror name would have no repository path.`,
    };
  }
  let mirrored: Reference;
  try {
    mirrored = parseNormalizedNamed(text);
  } catch (error) {
    if (!(error instanceof InvalidReference)) throw error;
    return { ref: null, text, skipped: `${text} is not a valid image reference: ${error.message}.` };
  }
  // Docker reads a first component without a dot or port as a Docker Hub namespace, and adds
  // library/ to one-component Hub paths: the daemon would then pull some other repository.
  const expectedDomain = mirrorDomain === 'index.docker.io' ? 'docker.io' : mirrorDomain;
  if (mirrored.domain !== expectedDomain || mirrored.path !== path) {
    return { ref: null, text, skipped: `Docker would read ${text} as ${referenceString(mirrored)}, a different repository.` };
  }
  return { ref: mirrored, text: referenceString(mirrored) };
}

/** The mirror reference for `ref` under a rule `from` -> `mirror`, or a sentence saying why there is none. */
export function rewriteName(ref: Reference, from: string, mirror: string): Reference | string {
  const rewritten = rewriteCandidate(ref, from, mirror);
  return rewritten.ref === null ? rewritten.skipped : rewritten.ref;
}
