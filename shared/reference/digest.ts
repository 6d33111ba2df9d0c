// Digest validation as go-digest v1.0.0 does it, with sha256, sha384 and sha512 registered
// (as in every Docker binary). Never hashes anything: it only checks the text.
import { digestErrors } from './errors';
import { MAX_REFERENCE_LENGTH } from './grammar';

/** Hex lengths of the registered algorithms; their encodings are lowercase hex only. */
const registeredHexLength = new Map([['sha256', 64], ['sha384', 96], ['sha512', 128]]);

const lowercaseHex = /^[a-f0-9]+$/;
// go-digest's DigestRegexpAnchored: only decides which error an unknown algorithm gets.
const digestShape = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** `digest.Digest.Validate`: the go-digest error message, or undefined when `s` is valid. */
export function digestError(s: string): string | undefined {
  const colon = s.indexOf(':');
  if (colon <= 0 || colon + 1 === s.length) return digestErrors.ErrDigestInvalidFormat;
  const algorithm = s.slice(0, colon);
  const encoded = s.slice(colon + 1);
  const hexLength = registeredHexLength.get(algorithm);
  if (hexLength === undefined) {
    if (s.length > MAX_REFERENCE_LENGTH || !digestShape.test(s)) return digestErrors.ErrDigestInvalidFormat;
    return digestErrors.ErrDigestUnsupported;
  }
  // go-digest checks the length before the characters, so `sha256:<64 uppercase hex>` is a format error.
  if (encoded.length !== hexLength) return digestErrors.ErrDigestInvalidLength;
  return lowercaseHex.test(encoded) ? undefined : digestErrors.ErrDigestInvalidFormat;
}

/** True for a valid digest string such as `sha256:<64 lowercase hex>` (`digest.Parse` succeeds). */
export function isDigest(s: string): boolean {
  return digestError(s) === undefined;
}
