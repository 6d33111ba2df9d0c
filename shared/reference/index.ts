// Image references exactly as Docker parses them: a linear-time TypeScript port of
// github.com/distribution/reference v0.6.0 with go-digest validation. Pure: no Node, no DOM.
export { InvalidReference, referenceErrors, digestErrors } from './errors';
export { MAX_REFERENCE_LENGTH } from './grammar';
export { isDigest, digestError } from './digest';
export {
  type ParsedReference,
  type Reference,
  MAX_PATH_LENGTH,
  parseReference,
  withName,
  withTag,
  withDigest,
  trimNamed,
  nameString,
  referenceString,
} from './parse';
export { parseNormalizedNamed, parseNamed, parseAnyReference, tagNameOnly, parseDockerRef } from './normalize';
export { familiarName, familiarString } from './familiar';
