// What a rule's `from` (registry prefix) and `to` (mirror location) may look like, with a
// sentence saying what is wrong. Pure; checks length before any regex runs.

/** The longest image name distribution/reference accepts; no prefix or mirror can be longer. */
export const maxLocationLength = 255;

// distribution/reference's grammar: domain (name or [IPv6]) with optional port, then
// lowercase path components.
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const location = `${host}(?::[0-9]+)?(?:/${pathComponent})*`;

/** A rule's `from`: a registry domain (optionally `*.` wildcard and `:port`) plus optional path. */
export const prefixPattern = new RegExp(`^(?:\\*\\.)?${location}$`);

/** A mirror location: domain (optionally `:port`) plus optional path; no wildcard. */
export const mirrorPattern = new RegExp(`^${location}$`);

/** Why `value` is not a valid `from` prefix, or undefined when it is. */
export function prefixProblem(value: string): string | undefined {
  const wildcard = value.startsWith('*.');
  if (value.includes('*', wildcard ? 1 : 0)) {
    return 'may use a wildcard only as `*.` at the start, as in *.example.com';
  }
  const problem = shapeProblem(value, { what: 'registry prefix', example: 'docker.io/library' }, prefixPattern,
    'must be a registry prefix such as docker.io/library, ghcr.io, localhost:5000 or *.example.com');
  if (problem !== undefined) return problem;
  const domain = firstComponent(value);
  if (!isDomain(domain)) {
    const suggestion = domain === value ? `docker.io/library/${value}` : `docker.io/${value}`;
    return `starts with "${domain}", which is not a registry domain (no dot, no port, not localhost): write the full prefix, such as ${suggestion}`;
  }
  return undefined;
}

/** Why `value` is not a valid mirror location (`to`), or undefined when it is. */
export function mirrorProblem(value: string): string | undefined {
  if (value.includes('*')) return 'cannot contain a wildcard: a mirror is one registry location';
  const problem = shapeProblem(value, { what: 'mirror location', example: 'localhost:5000' }, mirrorPattern,
    'must be a registry location such as localhost:5000 or mirror.example.com/hub');
  if (problem !== undefined) return problem;
  const domain = firstComponent(value);
  if (!isDomain(domain)) {
    return `starts with "${domain}", which is not a registry domain (no dot, no port, not localhost), so Docker would read it as a Docker Hub repository: write a host such as ${domain}:5000`;
  }
  return undefined;
}

// Length first, so no regex ever runs on a huge string; then the usual mistakes by name. The
// example fits the field: a prefix names where images come from, a mirror where they go.
function shapeProblem(value: string, { what, example }: { what: string; example: string }, pattern: RegExp, otherwise: string): string | undefined {
  if (value.length === 0) return `must not be empty: write a ${what} such as ${example}`;
  if (value.length > maxLocationLength) {
    return `is ${value.length} characters long; a ${what} is at most ${maxLocationLength}`;
  }
  if (pattern.test(value)) return undefined;
  const scheme = /^[a-z]+:\/\//i.exec(value);
  if (scheme) return `must not start with ${scheme[0]}: write just the registry, such as ${value.slice(scheme[0].length).replace(/\/+$/, '') || example}`;
  if (value.endsWith('/')) return 'must not end with a slash';
  const slash = value.indexOf('/');
  const path = slash === -1 ? '' : value.slice(slash + 1);
  if (value.includes('@') || path.includes(':')) {
    return `must not include a tag or digest: a ${what} names a registry or a repository path, such as ${example}`;
  }
  if (path !== path.toLowerCase()) return 'has uppercase letters in its path: repository paths are lowercase';
  return otherwise;
}

function firstComponent(value: string): string {
  const slash = value.indexOf('/');
  return slash === -1 ? value : value.slice(0, slash);
}

// The rule distribution/reference uses to tell a domain from a Docker Hub namespace.
function isDomain(component: string): boolean {
  return /[.:]/.test(component) || component === 'localhost' || component !== component.toLowerCase();
}
