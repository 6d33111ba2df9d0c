// What each local cache's volume holds, as last measured and grown since by what misses
// fetched, and whether the engine must be asked again. Asking is dear: `/system/df` walks every
// volume on the host (engines before API 1.42 compute the whole df: images, containers and build
// cache too), so the sizes are measured only when an answer matters: before anything is evicted,
// when they are unknown, and now and then to catch what happened outside our view. Pure: never
// asks the engine itself, and never lets an estimate decide an eviction.

/** The first miss after a measure is followed by a measure this long after it (when nothing else measured). */
export const ESTIMATE_FRESH_MS = 5 * 60_000;
/**
 * Even when nothing passed through us, the sizes are measured again after this long: Distribution
 * deletes what outlived `ttl` on its own, and a client may pull from a cache's port directly.
 */
export const MEASURE_FRESH_MS = 60 * 60_000;
/**
 * An estimate this close to `maxSize` may hide an overrun (it counts the bytes fetched from
 * upstream, not the few small files Distribution writes beside them): eviction measures first.
 */
export const EVICTION_MARGIN = 0.05;

/** Why the caches' sizes are wanted: a status shown to the user, or deciding on an eviction. */
export type SizesPurpose = 'status' | 'eviction';

export class CacheSizes {
  /** Bytes in each registry's volume, measured or estimated. */
  private readonly bytes = new Map<string, number>();
  /** When the sizes were last measured (ms since epoch); undefined until the first measure. */
  private measuredAt: number | undefined;
  /** Something changed by an amount nobody knows (a miss of unknown size, an eviction): why. */
  private unknownChange: string | undefined;
  /** When a miss first grew the estimate since the last measure; undefined while the sizes are measured ones. */
  private estimatedSince: number | undefined;

  /** Counts the changes, so a measure knows whether one happened while it ran. */
  private changes = 0;

  /** Call as a measure begins; give what it returns to `measured`. */
  changeCount(): number {
    return this.changes;
  }

  /**
   * The engine's own count of the volumes (registries) that exist now, from a measure begun at
   * `begun`. A change during the measure may or may not be in it: the next read measures again.
   */
  measured(sizes: ReadonlyMap<string, number>, now: number, begun: number): void {
    this.bytes.clear();
    for (const [registry, size] of sizes) this.bytes.set(registry, size);
    this.measuredAt = now;
    this.estimatedSince = undefined;
    this.unknownChange = begun === this.changes ? undefined : 'the caches changed while they were measured';
  }

  /**
   * The engine listed no volume of ours, as of `begun`: nothing to hold, nothing to measure.
   * A volume made while it listed is kept (it was made empty).
   */
  noVolumes(now: number, begun: number): void {
    if (begun !== this.changes) return void (this.measuredAt ??= now);
    this.measured(new Map(), now, begun);
  }

  /** A volume this process just made: empty, nothing to measure. */
  created(registry: string): void {
    this.changes++;
    this.bytes.set(registry, 0);
  }

  /** A volume removed (cleared): it holds nothing any more. */
  removed(registry: string): void {
    this.changes++;
    this.bytes.delete(registry);
  }

  /** A miss stored what it fetched from upstream: `bytes`, or an amount not known. */
  grew(registry: string, bytes: number | undefined, now: number): void {
    this.changes++;
    if (bytes === undefined) return this.changed(`a pull through the cache for ${registry} stored an unknown amount`);
    this.bytes.set(registry, (this.bytes.get(registry) ?? 0) + bytes);
    this.estimatedSince ??= now;
  }

  /** Something changed by an amount not known (an eviction): the next read measures. */
  changed(why: string): void {
    this.changes++;
    this.unknownChange ??= why;
  }

  /** How long ago the sizes were measured, when they are that measure still (no estimate, no change since). */
  measureAge(now: number): number | undefined {
    if (this.measuredAt === undefined || this.estimatedSince !== undefined || this.unknownChange !== undefined) return undefined;
    return now - this.measuredAt;
  }

  /** When the sizes were last measured, and whether misses have grown them since (an estimate). */
  freshness(): { measuredAt?: number; estimated: boolean } {
    return { ...(this.measuredAt !== undefined ? { measuredAt: this.measuredAt } : {}), estimated: this.estimatedSince !== undefined };
  }

  /** The sizes of the volumes that exist (`registries`), as now known. */
  sizes(registries: readonly string[]): Map<string, number> {
    const known = new Map<string, number>();
    for (const registry of registries) {
      const size = this.bytes.get(registry);
      if (size !== undefined) known.set(registry, size);
    }
    return known;
  }

  /**
   * Why the volumes that exist (`registries`) must be measured now for `purpose`, or undefined
   * when the sizes held will do. With no volume there is nothing to measure, ever.
   */
  measureReason(registries: readonly string[], purpose: SizesPurpose, now: number, maxBytes: number): string | undefined {
    if (registries.length === 0) return undefined;
    if (this.measuredAt === undefined) return 'not measured yet';
    if (this.unknownChange) return this.unknownChange;
    const unmeasured = registries.find((r) => !this.bytes.has(r));
    if (unmeasured) return `the volume of ${unmeasured}'s cache was made elsewhere`;
    if (purpose === 'eviction') {
      const total = [...this.sizes(registries).values()].reduce((a, b) => a + b, 0);
      if (this.estimatedSince !== undefined && total > maxBytes * (1 - EVICTION_MARGIN)) return 'an eviction may be due';
    }
    if (this.estimatedSince !== undefined && now - this.estimatedSince >= ESTIMATE_FRESH_MS) return 'estimated since a miss';
    if (now - this.measuredAt >= MEASURE_FRESH_MS) return 'last measured an hour ago';
    return undefined;
  }
}
