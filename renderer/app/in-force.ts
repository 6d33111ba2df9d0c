// What decides a pull under a config, in words for the status strip, the checklist and the
// alert area: the explicit rules, and the local cache for pulls no rule matches. Pure.
import { cachedRegistries } from '#shared/config/cache-schema';
import type { Config } from '#shared/config/schema';

export interface InForce {
  rules: number;
  /** Registries the local cache serves for pulls no rule matches (none when it is off). */
  cached: string[];
}

export function inForce(config: Config): InForce {
  return {
    rules: config.rules.filter((r) => r.enabled).length,
    cached: config.cache.enabled ? cachedRegistries(config.cache).map((r) => r.registry) : [],
  };
}

/** `docker.io, ghcr.io and 5 more` */
export function registryList(registries: readonly string[], shown = 2): string {
  if (registries.length <= shown + 1) return registries.join(', ').replace(/, ([^,]*)$/, ' and $1');
  return `${registries.slice(0, shown).join(', ')} and ${registries.length - shown} more`;
}

/** What happens to a pull that no rule matches. */
export function unmatchedPulls({ cached }: InForce): string {
  return cached.length > 0
    ? `pulls from ${registryList(cached)} go to the local cache, the rest to their own registry`
    : 'every pull goes to its own registry unchanged';
}
