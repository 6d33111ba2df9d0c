// Which cached repositories to evict when the caches together pass `maxSize`: the least
// recently pulled first, only repositories a pull through a cache put there. Pure.

/** When a repository of a cached registry was last pulled through its cache (ms since epoch). */
export interface RepositoryUse {
  registry: string;
  /** The repository path inside the registry, such as `library/alpine`. */
  repository: string;
  lastPulled: number;
}

/**
 * The next repository to evict, or undefined when the caches fit (or nothing known is left
 * to evict). One at a time: the size after each eviction decides whether another is needed.
 */
export function nextEviction(uses: readonly RepositoryUse[], totalBytes: number, maxBytes: number): RepositoryUse | undefined {
  if (totalBytes <= maxBytes) return undefined;
  let oldest: RepositoryUse | undefined;
  for (const use of uses) if (oldest === undefined || use.lastPulled < oldest.lastPulled) oldest = use;
  return oldest;
}
