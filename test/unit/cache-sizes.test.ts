// When the local caches' sizes must be measured on the engine (a walk of every volume on the
// host) and when the sizes held will do: the rules of cache-sizes.ts, at chosen times.
import { describe, expect, it } from 'vitest';
import { CacheSizes, ESTIMATE_FRESH_MS, EVICTION_MARGIN, MEASURE_FRESH_MS } from '../../main/engine/cache/cache-sizes';

const GB = 2 ** 30;
const T0 = 1_800_000_000_000;

/** A book measured at T0 holding `sizes`. */
function measuredBook(sizes: Record<string, number>): CacheSizes {
  const book = new CacheSizes();
  book.measured(new Map(Object.entries(sizes)), T0, book.changeCount());
  return book;
}

describe('when the caches are measured', () => {
  it('never measures while there is no volume of ours, whatever happened', () => {
    const book = new CacheSizes();
    expect(book.measureReason([], 'status', T0, GB)).toBeUndefined();
    book.grew('docker.io', undefined, T0);
    expect(book.measureReason([], 'eviction', T0 + MEASURE_FRESH_MS * 10, 0)).toBeUndefined();
  });

  it('measures volumes it has never measured, then reuses the measure for the status', () => {
    const book = new CacheSizes();
    expect(book.measureReason(['docker.io'], 'status', T0, GB)).toBe('not measured yet');
    book.measured(new Map([['docker.io', 100]]), T0, book.changeCount());
    expect(book.measureReason(['docker.io'], 'status', T0 + MEASURE_FRESH_MS - 1, GB)).toBeUndefined();
    expect(book.sizes(['docker.io'])).toEqual(new Map([['docker.io', 100]]));
    expect(book.measureAge(T0 + 5)).toBe(5);
  });

  it('knows a volume it made is empty, and measures one made elsewhere', () => {
    const book = new CacheSizes();
    book.noVolumes(T0, book.changeCount());
    book.created('docker.io');
    expect(book.measureReason(['docker.io'], 'status', T0 + 1, GB)).toBeUndefined();
    expect(book.sizes(['docker.io'])).toEqual(new Map([['docker.io', 0]]));
    expect(book.measureReason(['docker.io', 'ghcr.io'], 'status', T0 + 1, GB)).toBe('the volume of ghcr.io\'s cache was made elsewhere');
  });

  it('keeps a volume made while the engine listed none', () => {
    const book = new CacheSizes();
    const begun = book.changeCount();
    book.created('docker.io');
    book.noVolumes(T0, begun);
    expect(book.measureReason(['docker.io'], 'status', T0 + 1, GB)).toBeUndefined();
  });

  it('grows the estimate by what a miss fetched, and measures it within a few minutes for the status', () => {
    const book = measuredBook({ 'docker.io': 100 });
    book.grew('docker.io', 50, T0 + 1000);
    expect(book.sizes(['docker.io'])).toEqual(new Map([['docker.io', 150]]));
    expect(book.freshness()).toEqual({ measuredAt: T0, estimated: true });
    expect(book.measureAge(T0 + 1000)).toBeUndefined();
    expect(book.measureReason(['docker.io'], 'status', T0 + 1000 + ESTIMATE_FRESH_MS - 1, GB)).toBeUndefined();
    expect(book.measureReason(['docker.io'], 'status', T0 + 1000 + ESTIMATE_FRESH_MS, GB)).toBe('estimated since a miss');
  });

  it('measures for an eviction once the estimate comes near maxSize, and not for the status', () => {
    const max = 1000;
    const book = measuredBook({ 'docker.io': 900 });
    book.grew('docker.io', max * (0.1 - EVICTION_MARGIN) - 1, T0);
    expect(book.measureReason(['docker.io'], 'eviction', T0, max)).toBeUndefined();
    book.grew('docker.io', 2, T0);
    expect(book.measureReason(['docker.io'], 'eviction', T0, max)).toBe('an eviction may be due');
    expect(book.measureReason(['docker.io'], 'status', T0, max)).toBeUndefined();
  });

  it('measures a measured total over maxSize for neither purpose (nothing changed since)', () => {
    const book = measuredBook({ 'docker.io': 2 * GB });
    expect(book.measureReason(['docker.io'], 'eviction', T0 + 1, GB)).toBeUndefined();
    expect(book.measureReason(['docker.io'], 'status', T0 + 1, GB)).toBeUndefined();
  });

  it('measures after a change of unknown size: a miss it cannot size, an eviction', () => {
    const book = measuredBook({ 'docker.io': 100 });
    book.grew('docker.io', undefined, T0);
    expect(book.measureReason(['docker.io'], 'status', T0, GB)).toBe('a pull through the cache for docker.io stored an unknown amount');
    const again = measuredBook({ 'docker.io': 100 });
    again.changed('library/alpine was evicted');
    expect(again.measureReason(['docker.io'], 'status', T0, GB)).toBe('library/alpine was evicted');
  });

  it('measures again after a measure that a change overlapped', () => {
    const book = measuredBook({ 'docker.io': 100 });
    const begun = book.changeCount();
    book.grew('docker.io', 10, T0 + 1);
    book.measured(new Map([['docker.io', 105]]), T0 + 2, begun);
    expect(book.measureReason(['docker.io'], 'status', T0 + 2, GB)).toBe('the caches changed while they were measured');
  });

  it('measures now and then even when nothing passed through docker-caching (ttl expiry happens inside the cache)', () => {
    const book = measuredBook({ 'docker.io': 100 });
    expect(book.measureReason(['docker.io'], 'status', T0 + MEASURE_FRESH_MS, GB)).toBe('last measured an hour ago');
  });

  it('forgets a cleared volume', () => {
    const book = measuredBook({ 'docker.io': 100, 'ghcr.io': 5 });
    book.removed('docker.io');
    expect(book.sizes(['ghcr.io'])).toEqual(new Map([['ghcr.io', 5]]));
    expect(book.measureReason(['ghcr.io'], 'status', T0 + 1, GB)).toBeUndefined();
  });
});
