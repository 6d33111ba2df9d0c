// The regular grammar of image references, transcribed from distribution/reference v0.6.0
// regexp.go. Never run these on uncapped input: JavaScript's RegExp backtracks where Go's is linear.

/**
 * Longest input the parser hands to a regular expression. A valid reference is at most
 * about 800 characters with a real (at most 253-character) host name, so only absurd
 * input is refused unread; the cap bounds the backtracking of V8's engine.
 */
export const MAX_REFERENCE_LENGTH = 4096;

const optional = (...res: string[]): string => `(?:${res.join('')})?`;
const anyTimes = (...res: string[]): string => `(?:${res.join('')})*`;
const capture = (...res: string[]): string => `(${res.join('')})`;
const anchored = (...res: string[]): string => `^${res.join('')}$`;

const alphanumeric = '[a-z0-9]+';
// v0.6.0's form; the older `[-]*` (still in npm ports) backtracks exponentially in V8.
const separator = '(?:[._]|__|[-]+)';
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const optionalPort = '(?::[0-9]+)?';
const tag = '[\\w][\\w.-]{0,127}';
// `[[:xdigit:]]` in Go; go-digest later insists on lowercase for the registered algorithms.
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const identifier = '([a-f0-9]{64})';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';

const domainName = domainNameComponent + anyTimes('\\.', domainNameComponent);
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = alphanumeric + anyTimes(separator, alphanumeric);
const remoteName = pathComponent + anyTimes('/', pathComponent);
const name = optional(domainAndPort, '/') + remoteName;

/** `DomainRegexp`, anchored: a registry host with an optional port. */
export const anchoredDomainRegexp = new RegExp(anchored(domainAndPort));
/** `anchoredNameRegexp`: groups 1 (domain, possibly empty) and 2 (path). */
export const anchoredNameRegexp = new RegExp(anchored(optional(capture(domainAndPort), '/'), capture(remoteName)));
/** `ReferenceRegexp`: groups 1 (name), 2 (tag) and 3 (digest). */
export const referenceRegexp = new RegExp(anchored(capture(name), optional(':', capture(tag)), optional('@', capture(digest))));
/** `anchoredTagRegexp`. */
export const anchoredTagRegexp = new RegExp(anchored(tag));
/** `anchoredDigestRegexp`: the reference grammar's (looser) digest shape. */
export const anchoredDigestRegexp = new RegExp(anchored(digest));
/** `anchoredIdentifierRegexp`: a bare 64-hex image ID. */
export const anchoredIdentifierRegexp = new RegExp(anchored(identifier));

/**
 * Go's `strings.ToLower` maps each rune on its own; JavaScript's `toLowerCase` also applies
 * SpecialCasing, which turns U+0130 into two characters instead of `i`. That is the only
 * difference that can turn a string into ASCII, so it is the only one fixed here.
 */
export const goToLower = (s: string): string => s.replace(/\u0130/g, 'i').toLowerCase();
