// The local cache as rules: each cached registry is an implicit, lowest-priority mirror rule
// `from: <registry> -> to: 127.0.0.1:PORT, fallback, retag`, used only when no explicit rule
// matches. Pure; never starts anything (the engine's CacheManager does, on the first pull).
import { cachedRegistries, type CachedRegistry } from '../config/cache-schema';
import type { Config, MirrorRule } from '../config/schema';
import { nameString, parseNormalizedNamed, type Reference } from '../reference';
import type { RuleMatch } from './match';

/** How the cache is named wherever a rule is shown. */
export function cacheLabel(registry: string): string {
  return `local cache (${registry})`;
}

/** The implicit rule of one cached registry. */
export function cacheRule(entry: Pick<CachedRegistry, 'registry' | 'port'>): MirrorRule {
  return {
    from: entry.registry,
    to: [`127.0.0.1:${entry.port}`],
    fallback: true,
    retag: true,
    keepMirrorTag: false,
    digestOnly: false,
    enabled: true,
    name: cacheLabel(entry.registry),
  };
}

/**
 * The cache rule for a pull no explicit rule decided, or undefined: the cache is off, the
 * registry is not cached, or the pull is of the cache's own image (which never goes through
 * a cache, or the first cache could never start).
 */
export function matchCacheRule(ref: Reference, config: Config): RuleMatch | undefined {
  if (!config.enabled || !config.cache.enabled) return undefined;
  const entry = cachedRegistries(config.cache).find((r) => r.registry === ref.domain);
  if (!entry || isCacheImage(ref, config.cache.image)) return undefined;
  return { index: -1, rule: cacheRule(entry), cache: entry.registry };
}

function isCacheImage(ref: Reference, image: string): boolean {
  try {
    return nameString(parseNormalizedNamed(image)) === nameString(ref);
  } catch {
    return false;
  }
}

/**
 * The local cache as a mirror location for an explicit rule from `from` (a cached registry,
 * optionally with a path): `127.0.0.1:5050/library` for `docker.io/library`. Undefined when
 * `from` is not in a cached registry or is a wildcard.
 */
export function cacheMirror(from: string, config: Config): string | undefined {
  const slash = from.indexOf('/');
  const domain = slash === -1 ? from : from.slice(0, slash);
  const entry = cachedRegistries(config.cache).find((r) => r.registry === domain);
  return entry ? `127.0.0.1:${entry.port}${slash === -1 ? '' : from.slice(slash)}` : undefined;
}

/** The cached registry whose cache a mirror location points at, so a pull there starts it. */
export function cacheOfMirror(location: string, config: Config): string | undefined {
  if (!config.cache.enabled) return undefined;
  const host = location.split('/')[0];
  return cachedRegistries(config.cache).find((r) => `127.0.0.1:${r.port}` === host)?.registry;
}
