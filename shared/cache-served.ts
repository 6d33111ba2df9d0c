// The local cache's part in one pull, as the words the inspector, serve's log and the pull's
// own progress line all use ("served from cache", "fetched from upstream: 2 of 3 layers, 31 MB").
// Pure: no Node, no DOM.
import { formatBytes } from './bytes';
import type { CacheServed, CacheTrace } from './log';
import { cacheLabel } from './rules/cache-rules';

/** Hit, miss or unknown in a few words. */
export function cacheServedText(served: CacheServed, upstreamUnreachable = false): string {
  switch (served.kind) {
    case 'hit':
      return upstreamUnreachable ? 'served from cache, upstream unreachable' : 'served from cache';
    case 'miss':
      return `fetched from upstream: ${served.layersFetched} of ${served.layers} layer${served.layers === 1 ? '' : 's'}${served.bytes !== undefined ? `, ${formatBytes(served.bytes)}` : ''}`;
    case 'unknown':
      return `hit/miss unknown: ${served.reason}`;
  }
}

/** What the cache did for the pull, as one line, with why its container was made again if it was. */
export function cacheTraceText(cache: CacheTrace): string {
  const recreated = cache.recreated ? `; its container was made again: ${cache.recreated}` : '';
  return `${cacheOutcomeText(cache)}${recreated}`;
}

function cacheOutcomeText(cache: CacheTrace): string {
  if (cache.outcome !== 'used') return `${cache.outcome === 'failed' ? 'failed' : 'not used'}: ${cache.reason ?? 'no reason given'}`;
  if (cache.served) return cacheServedText(cache.served, cache.upstreamUnreachable);
  return cache.upstreamUnreachable ? 'served from cache, upstream unreachable' : `went through the ${cacheLabel(cache.registry)}`;
}
