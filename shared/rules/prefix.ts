// What a rule's `from` covers: a registry domain (exact, or `*.` for its subdomains) plus an
// optional path, matched on path-component boundaries. Never looks at tags or digests.

/** A parsed `from`, with the domain's host lowercased for case-insensitive comparison. */
export interface RegistryPrefix {
  wildcard: boolean;
  host: string;
  port?: string;
  path: string;
}

/** Splits `host[:port]`, keeping the brackets of an IPv6 host. */
function splitHostPort(domain: string): { host: string; port?: string } {
  const portColon = domain.startsWith('[') ? domain.indexOf(':', domain.indexOf(']')) : domain.lastIndexOf(':');
  const host = (portColon === -1 ? domain : domain.slice(0, portColon)).toLowerCase();
  return portColon === -1 ? { host } : { host, port: domain.slice(portColon + 1) };
}

/** Reads a `from` such as `docker.io/library`, `localhost:5001` or `*.example.com`. */
export function parsePrefix(from: string): RegistryPrefix {
  const slash = from.indexOf('/');
  let domain = slash === -1 ? from : from.slice(0, slash);
  const path = slash === -1 ? '' : from.slice(slash + 1);
  const wildcard = domain.startsWith('*.');
  if (wildcard) domain = domain.slice(2);
  const { host, port } = splitHostPort(domain);
  // Docker normalises the legacy Hub name away, so a rule written with it must mean docker.io.
  const normalisedHost = host === 'index.docker.io' && port === undefined && !wildcard ? 'docker.io' : host;
  return port === undefined ? { wildcard, host: normalisedHost, path } : { wildcard, host: normalisedHost, port, path };
}

/**
 * How specifically `prefix` covers `name`, or undefined when it does not. Compare with
 * `moreSpecific`: a longer path wins; then an exact domain beats a wildcard; then the
 * longer wildcard (`*.a.example.com` beats `*.example.com`, a port beats none).
 */
export type Specificity = readonly [pathLength: number, exactDomain: number, wildcardLength: number];

export function prefixSpecificity(prefix: RegistryPrefix, name: { domain: string; path: string }): Specificity | undefined {
  const { host, port } = splitHostPort(name.domain);
  if (prefix.wildcard) {
    // As in containers-registries.conf, a wildcard without a port covers every port of its subdomains.
    if (!host.endsWith(`.${prefix.host}`) || (prefix.port !== undefined && prefix.port !== port)) return undefined;
  } else if (host !== prefix.host || port !== prefix.port) {
    return undefined;
  }
  if (prefix.path !== '' && name.path !== prefix.path && !name.path.startsWith(`${prefix.path}/`)) return undefined;
  const wildcardLength = prefix.wildcard ? prefix.host.length + (prefix.port === undefined ? 0 : prefix.port.length + 1) : 0;
  return [prefix.path.length, prefix.wildcard ? 0 : 1, wildcardLength];
}

/** True when `a` is strictly more specific than `b`. */
export function moreSpecific(a: Specificity, b: Specificity): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return false;
}

/** The part of `path` after the prefix's path (empty when the prefix covers all of it). */
export function pathAfterPrefix(prefix: RegistryPrefix, path: string): string {
  if (prefix.path === '') return path;
  return path === prefix.path ? '' : path.slice(prefix.path.length + 1);
}
