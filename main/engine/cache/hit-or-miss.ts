// Tells whether a pull through a cache was a hit or a miss from Distribution's proxy counters
// (`/debug/vars` → registry.proxy.{blobs,manifests}) read just before and just after it, and
// from what the engine's progress said it fetched. Pure. Never guesses: when the counters
// cannot belong to this pull alone it says why instead.
import type { CacheServed } from '#shared/log';
import type { PullFacts } from '../rewrite/pull-progress';

/** One of Distribution's proxy counter sets (registry/proxy/proxymetrics.go `Metrics`). */
export interface ProxyMetrics {
  Requests: number;
  Hits: number;
  Misses: number;
  BytesPulled: number;
  BytesPushed: number;
}

export interface ProxyCounters {
  blobs: ProxyMetrics;
  manifests: ProxyMetrics;
}

const unknown = (reason: string): CacheServed => ({ kind: 'unknown', reason });
const MISMATCH = 'the cache\'s counters do not match what the engine fetched (another client pulling from the cache?)';

function delta(before: ProxyMetrics, after: ProxyMetrics): ProxyMetrics | undefined {
  const d = {
    Requests: after.Requests - before.Requests,
    Hits: after.Hits - before.Hits,
    Misses: after.Misses - before.Misses,
    BytesPulled: after.BytesPulled - before.BytesPulled,
    BytesPushed: after.BytesPushed - before.BytesPushed,
  };
  return Object.values(d).some((n) => n < 0) ? undefined : d;
}

// The blobs a pull asked the cache for: each layer the engine downloaded, and the image config
// unless it had that already, which it then says by naming no layer at all (up to date, or only
// a new tag for an image it has).
function blobsAsked(facts: PullFacts): number {
  return facts.layers === 0 ? 0 : facts.layersFetched + 1;
}

/**
 * Whether Distribution 2.8 is still storing blobs this pull fetched from upstream. It stores
 * such a blob in a goroutine of its own, with a second upstream fetch, and counts that copy
 * only once it ends, which can be after the engine has the blob and the pull has ended: read
 * then, a first pull's counters look like "0 of 1 layer fetched", and the late count lands in
 * the next pull's window. `yes`: a manifest new to the cache and no blob counted twice yet (a
 * new image brings at least its config blob). `maybe`: some blobs counted twice, not all
 * (either the rest are on their way, or they were in the cache already). `no`: a hit, every
 * blob counted twice, or counters that cannot be told from (Distribution 3, another client).
 */
export function storesPending(before: ProxyCounters, after: ProxyCounters, facts: PullFacts): 'yes' | 'maybe' | 'no' {
  const blobs = delta(before.blobs, after.blobs);
  const manifests = delta(before.manifests, after.manifests);
  // Distribution 3 counts a miss as it serves it (one fetch, stored as sent).
  if (!blobs || !manifests || blobs.Misses > 0) return 'no';
  const asked = blobsAsked(facts);
  const counted = blobs.Requests - asked;
  if (asked === 0 || counted < 0 || counted >= asked) return 'no';
  if (counted === 0) return manifests.Misses > 0 ? 'yes' : 'no';
  return 'maybe';
}

/**
 * Hit or miss of one pull. `pulls` is how many pulls through this cache ran during its
 * window (itself included): with more than one, the counters mix them.
 */
export function hitOrMiss(before: ProxyCounters, after: ProxyCounters, facts: PullFacts, pulls: number): CacheServed {
  if (pulls > 1) return unknown(`${pulls} pulls overlapped`);
  const blobs = delta(before.blobs, after.blobs);
  const manifests = delta(before.manifests, after.manifests);
  // Counters only fall when the registry process started again (Distribution keeps them in memory).
  if (!blobs || !manifests) return unknown('the cache restarted during the pull');
  if (manifests.Requests === 0) return unknown('the cache\'s counters did not move: the pull did not reach it');
  const asked = blobsAsked(facts);
  let blobMisses: number;
  let blobBytes: number | undefined;
  if (blobs.Misses > 0) {
    // Distribution 3 counts a blob fetched from upstream as a miss, once per request.
    if (blobs.Requests !== asked) return unknown(MISMATCH);
    blobMisses = blobs.Misses;
    blobBytes = blobs.BytesPulled;
  } else {
    // Distribution 2.8 never counts blob misses: a blob it fetches from upstream passes
    // copyContent twice (once stored, once sent), so counts twice in Requests and BytesPushed,
    // and a blob from its storage once (proxyblobstore.go). Distribution 3 with no blob miss
    // counts each blob once, which reads the same way here.
    blobMisses = blobs.Requests - asked;
    if (blobMisses < 0 || blobMisses > asked) return unknown(MISMATCH);
    if (blobMisses === 0) blobBytes = 0;
    else if (blobMisses === asked) blobBytes = blobs.BytesPushed / 2;
    // Some fetched, some stored: the upstream bytes are what was sent twice. The engine sizes
    // layers only, so this counts the image config too (a few kB).
    else if (facts.fetchedBytes !== undefined) blobBytes = Math.max(0, blobs.BytesPushed - facts.fetchedBytes);
  }
  if (blobMisses === 0 && manifests.Misses === 0) return { kind: 'hit' };
  // A manifest new to the cache brings its image config, which is a blob but not a layer.
  const configFetched = manifests.Misses > 0 && blobMisses > 0 ? 1 : 0;
  const layersFetched = Math.min(facts.layersFetched, Math.max(0, blobMisses - configFetched));
  return {
    kind: 'miss',
    layersFetched,
    layers: facts.layers,
    ...(blobBytes !== undefined ? { bytes: blobBytes + manifests.BytesPulled } : {}),
  };
}
