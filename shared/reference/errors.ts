// The errors the reference parser raises, with the exact messages of distribution/reference
// v0.6.0 and go-digest v1.0.0, so users see what `docker` itself would say. Never reword them.

/** An image reference Docker would reject; `message` is the text Go's parser gives. */
export class InvalidReference extends Error {
  override readonly name = 'InvalidReference';
}

/** The Go sentinel errors, by their Go variable names. */
export const referenceErrors = {
  ErrReferenceInvalidFormat: 'invalid reference format',
  ErrTagInvalidFormat: 'invalid tag format',
  ErrDigestInvalidFormat: 'invalid digest format',
  ErrNameContainsUppercase: 'repository name must be lowercase',
  ErrNameEmpty: 'repository name must have at least one component',
  ErrNameTooLong: 'repository name must not be more than 255 characters',
  ErrNameNotCanonical: 'repository name must be canonical',
} as const;

/** go-digest's sentinel errors (note the different wording from `ErrDigestInvalidFormat` above). */
export const digestErrors = {
  ErrDigestInvalidFormat: 'invalid checksum digest format',
  ErrDigestInvalidLength: 'invalid checksum digest length',
  ErrDigestUnsupported: 'unsupported digest algorithm',
} as const;
