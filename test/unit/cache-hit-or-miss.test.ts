// Hit or miss from Distribution's proxy counters. The 2.8 numbers are those Debian's
// docker-registry 2.8.2 reported for a 3-layer image pulled by dockerd 20.10 through a proxy
// (first pull, then `rmi` and pull again, then a pull of the image already present).
import { describe, expect, it } from 'vitest';
import { hitOrMiss, storesPending, type ProxyCounters, type ProxyMetrics } from '../../main/engine/cache/hit-or-miss';
import { proxyCounters } from '../../main/engine/cache/proxy-counters';
import { CachePullWatches, type SettleTimes } from '../../main/engine/cache/pull-watch';
import { ProgressReader } from '../../main/engine/rewrite/pull-progress';
import { cacheServedText, cacheTraceText } from '#shared/cache-served';

const m = (Requests: number, Hits: number, Misses: number, BytesPulled: number, BytesPushed: number): ProxyMetrics => ({ Requests, Hits, Misses, BytesPulled, BytesPushed });
const zero: ProxyCounters = { blobs: m(0, 0, 0, 0, 0), manifests: m(0, 0, 0, 0, 0) };
const afterFirst: ProxyCounters = { blobs: m(8, 8, 0, 0, 18_138_342), manifests: m(2, 2, 1, 950, 1900) };
const afterSecond: ProxyCounters = { blobs: m(12, 12, 0, 0, 27_207_513), manifests: m(4, 4, 1, 950, 3800) };
const afterUpToDate: ProxyCounters = { blobs: m(12, 12, 0, 0, 27_207_513), manifests: m(5, 5, 1, 950, 4750) };
const threeFetched = { layers: 3, layersFetched: 3 };

describe('hit or miss from Distribution 2.8\'s counters', () => {
  it('a first pull fetched every layer from upstream: each blob counted twice, bytes halved', () => {
    expect(hitOrMiss(zero, afterFirst, threeFetched, 1)).toEqual({ kind: 'miss', layersFetched: 3, layers: 3, bytes: 9_069_171 + 950 });
  });

  it('the same pull after rmi came from the cache alone, as did one of an image already present', () => {
    expect(hitOrMiss(afterFirst, afterSecond, threeFetched, 1)).toEqual({ kind: 'hit' });
    // Up to date, or a new tag for an image the engine has: no layer named, no blob asked for.
    expect(hitOrMiss(afterSecond, afterUpToDate, { layers: 0, layersFetched: 0 }, 1)).toEqual({ kind: 'hit' });
  });

  it('some layers cached, some fetched: counts the fetched layers, bytes from the engine\'s layer sizes', () => {
    // 4 layers asked + config = 5 blobs; the new layer (2 MB) and the config (1 kB) came from upstream.
    const before: ProxyCounters = { blobs: m(10, 10, 0, 0, 0), manifests: m(3, 3, 0, 0, 0) };
    const after: ProxyCounters = { blobs: m(17, 17, 0, 0, 9_000_000 + 2_000_000 + 2 * 1_000 + 2_000_000), manifests: m(4, 4, 1, 900, 900) };
    const facts = { layers: 4, layersFetched: 4, fetchedBytes: 9_000_000 + 2_000_000 };
    expect(hitOrMiss(before, after, facts, 1)).toEqual({ kind: 'miss', layersFetched: 1, layers: 4, bytes: 2_000_000 + 2_000 + 900 });
    // Without the engine's sizes the layers are still told, the bytes not.
    expect(hitOrMiss(before, after, { ...facts, fetchedBytes: undefined }, 1)).toEqual({ kind: 'miss', layersFetched: 1, layers: 4 });
  });
});

describe('hit or miss from Distribution 3\'s counters', () => {
  it('reads blob misses and upstream bytes as counted', () => {
    const after: ProxyCounters = { blobs: m(4, 2, 2, 31_000_000, 40_000_000), manifests: m(1, 0, 1, 700, 700) };
    expect(hitOrMiss(zero, after, threeFetched, 1)).toEqual({ kind: 'miss', layersFetched: 1, layers: 3, bytes: 31_000_700 });
  });
});

describe('says when it cannot tell', () => {
  it('pulls that overlapped, a restarted cache, counters that did not move or moved for others', () => {
    expect(hitOrMiss(zero, afterFirst, threeFetched, 2)).toEqual({ kind: 'unknown', reason: '2 pulls overlapped' });
    expect(hitOrMiss(afterFirst, zero, threeFetched, 1)).toEqual({ kind: 'unknown', reason: 'the cache restarted during the pull' });
    expect(hitOrMiss(afterFirst, afterFirst, threeFetched, 1).kind).toBe('unknown');
    const tooMany: ProxyCounters = { blobs: m(20, 20, 0, 0, 1), manifests: m(3, 3, 0, 0, 0) };
    expect(hitOrMiss(zero, tooMany, threeFetched, 1)).toEqual({ kind: 'unknown', reason: 'the cache\'s counters do not match what the engine fetched (another client pulling from the cache?)' });
  });
});

describe('the counters as the debug server gives them', () => {
  it('reads registry.proxy out of expvar\'s JSON, and names what is missing', () => {
    const vars = { cmdline: ['registry'], registry: { proxy: { blobs: afterFirst.blobs, manifests: afterFirst.manifests } } };
    expect(proxyCounters(vars)).toEqual(afterFirst);
    expect(() => proxyCounters({ registry: {} })).toThrow('no registry.proxy counters');
    expect(() => proxyCounters({ registry: { proxy: { blobs: { Requests: '1' }, manifests: afterFirst.manifests } } })).toThrow('no registry.proxy counters');
  });
});

describe('what the engine said it fetched', () => {
  it('counts the layers it downloaded apart from those it had, with their sizes when given', () => {
    const reader = new ProgressReader();
    reader.push([
      { status: 'Pulling from library/three', id: '1' },
      { status: 'Already exists', progressDetail: {}, id: '4687419f8e4f' },
      // The containerd store names a layer it has as pulled first.
      { status: 'Pulling fs layer', progressDetail: {}, id: 'a8a365835165' },
      { status: 'Already exists', progressDetail: {}, id: 'a8a365835165' },
      { status: 'Pulling fs layer', progressDetail: {}, id: '04921bcf8792' },
      { status: 'Downloading', progressDetail: { current: 1_048_576, total: 3_001_124 }, id: '04921bcf8792' },
      { status: 'Pull complete', progressDetail: {}, id: '04921bcf8792' },
      { status: 'Status: Downloaded newer image for 127.0.0.1:5050/library/three:1' },
    ].map((l) => JSON.stringify(l) + '\r\n').join(''));
    expect(reader.facts()).toEqual({ layers: 3, layersFetched: 1, fetchedBytes: 3_001_124 });
    const upToDate = new ProgressReader();
    upToDate.push('{"status":"Status: Image is up to date for x:1"}\r\n');
    expect(upToDate.facts()).toEqual({ layers: 0, layersFetched: 0, fetchedBytes: 0 });
    const unsized = new ProgressReader();
    unsized.push('{"status":"Pulling fs layer","id":"6527c2829d18"}\r\n{"status":"Download complete","id":"6527c2829d18"}\r\n');
    expect(unsized.facts().fetchedBytes).toBeUndefined();
  });
});

describe('the words for it', () => {
  it('says hit, miss with layers and size, or why it cannot tell', () => {
    expect(cacheServedText({ kind: 'hit' })).toBe('served from cache');
    expect(cacheServedText({ kind: 'hit' }, true)).toBe('served from cache, upstream unreachable');
    expect(cacheServedText({ kind: 'miss', layersFetched: 2, layers: 3, bytes: 32_500_000 })).toBe('fetched from upstream: 2 of 3 layers, 33 MB');
    expect(cacheServedText({ kind: 'miss', layersFetched: 1, layers: 1, bytes: 1_536 })).toBe('fetched from upstream: 1 of 1 layer, 1.5 kB');
    expect(cacheServedText({ kind: 'unknown', reason: '2 pulls overlapped' })).toBe('hit/miss unknown: 2 pulls overlapped');
    expect(cacheTraceText({ registry: 'docker.io', outcome: 'used' })).toBe('went through the local cache (docker.io)');
    expect(cacheTraceText({ registry: 'docker.io', outcome: 'unavailable', reason: 'port taken' })).toBe('not used: port taken');
    expect(cacheTraceText({ registry: 'docker.io', outcome: 'used', served: { kind: 'hit' }, recreated: 'you logged out of registry-1.docker.io' }))
      .toBe('served from cache; its container was made again: you logged out of registry-1.docker.io');
  });
});

describe('pulls watched through one cache', () => {
  it('tells each pull alone, says "unknown" for pulls that overlapped, and when the counters cannot be read', async () => {
    let counters = zero;
    const watches = new CachePullWatches(async (registry) => {
      if (registry === 'ghcr.io') throw new Error('connect ECONNREFUSED 127.0.0.1:5151');
      return counters;
    });
    const first = await watches.start('docker.io');
    counters = afterFirst;
    expect(await first.finish(threeFetched)).toMatchObject({ kind: 'miss', layersFetched: 3 });

    const a = await watches.start('docker.io');
    const b = await watches.start('docker.io');
    // Another cache's pull is no overlap.
    const other = await watches.start('quay.io');
    counters = afterSecond;
    expect(await a.finish(threeFetched)).toEqual({ kind: 'unknown', reason: '2 pulls overlapped' });
    b.cancel();
    expect(await other.finish(threeFetched)).toEqual({ kind: 'hit' });

    const alone = await watches.start('docker.io');
    counters = afterUpToDate;
    expect(await alone.finish({ layers: 0, layersFetched: 0 })).toEqual({ kind: 'hit' });

    const unreadable = await watches.start('ghcr.io');
    expect(await unreadable.finish(threeFetched)).toEqual({ kind: 'unknown', reason: 'the cache\'s counters cannot be read (connect ECONNREFUSED 127.0.0.1:5151)' });
  });
});

// Distribution 2.8 counts a blob it fetched from upstream a second time only when its own copy
// into storage ends, in a goroutine of its own, which may be after the pull ended.
describe('a miss that Distribution 2.8 has not counted in full when the pull ends', () => {
  // The first pull of the 3-layer image as read right at its end: every blob served (4), the
  // stores of two still running (only 2 of the 4 second counts in).
  const firstStoring: ProxyCounters = { blobs: m(6, 6, 0, 0, 13_000_000), manifests: afterFirst.manifests };
  const times: SettleTimes = { everyMs: 5, stillMs: 60, stillMsPerMB: 0, atMostMs: 2_000 };

  it('is told apart from a hit, a full miss, Distribution 3 and a mismatch', () => {
    expect(storesPending(zero, firstStoring, threeFetched)).toBe('maybe');
    // All served, none counted twice yet, and the manifest new: its config at least is on its way.
    expect(storesPending(zero, { blobs: m(4, 4, 0, 0, 9_000_000), manifests: afterFirst.manifests }, threeFetched)).toBe('yes');
    expect(storesPending(zero, afterFirst, threeFetched)).toBe('no');
    expect(storesPending(afterFirst, afterSecond, threeFetched)).toBe('no');
    expect(storesPending(afterSecond, afterUpToDate, { layers: 0, layersFetched: 0 })).toBe('no');
    expect(storesPending(zero, { blobs: m(4, 2, 2, 31_000_000, 40_000_000), manifests: m(1, 0, 1, 700, 700) }, threeFetched)).toBe('no');
    expect(storesPending(zero, { blobs: m(20, 20, 0, 0, 1), manifests: m(3, 3, 0, 0, 0) }, threeFetched)).toBe('no');
  });

  it('reads again until the late counts are in, and tells the whole miss', async () => {
    let counters = zero;
    let reads = 0;
    const watches = new CachePullWatches(async () => { reads += 1; return counters; }, times);
    const pull = await watches.start('docker.io');
    counters = firstStoring;
    setTimeout(() => { counters = afterFirst; }, 40);
    expect(await pull.finish(threeFetched)).toEqual({ kind: 'miss', layersFetched: 3, layers: 3, bytes: 9_069_171 + 950 });
    expect(reads).toBeGreaterThan(3);
  });

  it('waits past stillMs while nothing of a new image is counted twice yet', async () => {
    let counters = zero;
    const watches = new CachePullWatches(async () => counters, times);
    const pull = await watches.start('docker.io');
    counters = { blobs: m(4, 4, 0, 0, 9_000_000), manifests: afterFirst.manifests };
    setTimeout(() => { counters = firstStoring; }, 3 * times.stillMs);
    setTimeout(() => { counters = afterFirst; }, 3 * times.stillMs + times.stillMs / 2);
    expect(await pull.finish(threeFetched)).toMatchObject({ kind: 'miss', layersFetched: 3, layers: 3 });
  });

  it('says it cannot tell when the stores have not counted within atMostMs (a store that failed never does)', async () => {
    let counters = zero;
    const watches = new CachePullWatches(async () => counters, { ...times, atMostMs: 200 });
    const pull = await watches.start('docker.io');
    counters = { blobs: m(4, 4, 0, 0, 9_000_000), manifests: afterFirst.manifests };
    expect(await pull.finish(threeFetched)).toEqual({ kind: 'unknown', reason: 'the cache was still storing what it fetched 0.2 s after the pull' });
  });

  it('stops once the counters stay still, for a miss whose other blobs were cached already', async () => {
    // 1 of 3 layers and the config fetched: 4 asked, 2 counted twice; nothing more comes.
    const partial: ProxyCounters = { blobs: m(6, 6, 0, 0, 11_000_000), manifests: m(1, 1, 1, 950, 950) };
    let counters = zero;
    const watches = new CachePullWatches(async () => counters, times);
    const pull = await watches.start('docker.io');
    counters = partial;
    const t0 = Date.now();
    expect(await pull.finish(threeFetched)).toMatchObject({ kind: 'miss', layersFetched: 1, layers: 3 });
    expect(Date.now() - t0).toBeLessThan(times.atMostMs);
  });

  it('reads a hit once, and gives up reading again when another pull through the cache starts', async () => {
    let counters = afterFirst;
    let reads = 0;
    const watches = new CachePullWatches(async () => { reads += 1; return counters; }, { ...times, stillMs: 10_000, atMostMs: 10_000 });
    const hit = await watches.start('docker.io');
    counters = afterSecond;
    expect(await hit.finish(threeFetched)).toEqual({ kind: 'hit' });
    expect(reads).toBe(2);

    counters = zero;
    const first = await watches.start('docker.io');
    counters = firstStoring;
    const told = first.finish(threeFetched);
    await new Promise((r) => setTimeout(r, 30));
    const next = await watches.start('docker.io');
    expect(await told).toEqual({ kind: 'unknown', reason: '2 pulls overlapped' });
    next.cancel();
  });
});
