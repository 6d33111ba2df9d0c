// The short names Docker shows users (`ubuntu:18.04` for `docker.io/library/ubuntu:18.04`),
// from distribution/reference v0.6.0 helpers.go. Never used to decide where to pull from.
import { type Reference, nameString, referenceString } from './parse';

/** Drops `docker.io/`, and `library/` when nothing deeper follows it. */
function familiarize(ref: Reference): Reference {
  if (ref.domain !== 'docker.io') return ref;
  const remainder = ref.path.startsWith('library/') ? ref.path.slice('library/'.length) : undefined;
  return { ...ref, domain: '', path: remainder !== undefined && !remainder.includes('/') ? remainder : ref.path };
}

/** `reference.FamiliarName`: `ubuntu`, `user/app`, `ghcr.io/owner/app`. */
export function familiarName(ref: Reference): string {
  return nameString(familiarize(ref));
}

/** `reference.FamiliarString`: the familiar name with its tag and digest. */
export function familiarString(ref: Reference): string {
  return referenceString(familiarize(ref));
}
