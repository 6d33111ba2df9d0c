// Watches pulls through each cache to tell hit from miss: reads the cache's proxy counters
// when a pull starts and when it ends, and knows which pulls through the same cache ran at
// the same time (their counters mix, so none of them is told). A hit costs one bounded read at
// the end; a miss that Distribution 2.8 has not counted in full yet is read again until it has,
// or its counters stay still (`settle`), within a bound. A counter that cannot be read makes the
// answer "unknown", never an error.
import type { CacheServed } from '#shared/log';
import type { PullFacts } from '../rewrite/pull-progress';
import { hitOrMiss, storesPending, type ProxyCounters } from './hit-or-miss';

export interface CachePullWatch {
  /** Reads the counters again and tells hit or miss from what the engine said it fetched. */
  finish(facts: PullFacts): Promise<CacheServed>;
  /** The pull did not come from the cache: nothing to tell (its window still counts for pulls beside it). */
  cancel(): void;
}

interface Window {
  peers: Set<Window>;
}

/** How long a miss's counters are read again for (see storesPending). */
export interface SettleTimes {
  /** Between reads. */
  everyMs: number;
  /** While some blobs may be on their way: done when the counters have not moved for this long, */
  stillMs: number;
  /** plus this long per MB the engine downloaded: a blob counts only when its store ends. */
  stillMsPerMB: number;
  /** Done at the latest this long after the pull ended (also while blobs surely are on their way). */
  atMostMs: number;
}

// Measured with Debian's docker-registry 2.8.2 on this 2-core VM, one blob at a time: its
// count came 2-9 ms after the blob was served for 1 MB, 27-102 ms for 30 MB, 0.3-0.8 s for 150 MB.
const SETTLE: SettleTimes = { everyMs: 20, stillMs: 250, stillMsPerMB: 6, atMostMs: 5_000 };

export class CachePullWatches {
  private readonly active = new Map<string, Set<Window>>();

  constructor(
    private readonly read: (registry: string) => Promise<ProxyCounters>,
    private readonly settle: SettleTimes = SETTLE,
  ) {}

  /** Opens a pull's window on `registry`'s cache and reads the counters before it. */
  async start(registry: string): Promise<CachePullWatch> {
    const window: Window = { peers: new Set() };
    const open = this.active.get(registry) ?? new Set<Window>();
    this.active.set(registry, open);
    for (const other of open) {
      other.peers.add(window);
      window.peers.add(other);
    }
    open.add(window);
    const close = () => {
      open.delete(window);
      if (open.size === 0 && this.active.get(registry) === open) this.active.delete(registry);
    };
    const before = await this.read(registry).then((c) => ({ ok: true as const, counters: c }), (err: Error) => ({ ok: false as const, reason: err.message }));
    return {
      finish: async (facts) => {
        try {
          if (!before.ok) return unreadable(before.reason);
          let after = await this.read(registry);
          if (window.peers.size === 0 && storesPending(before.counters, after, facts) !== 'no') {
            const stillMs = this.settle.stillMs + this.settle.stillMsPerMB * ((facts.fetchedBytes ?? 0) / 1e6);
            const settled = await this.settled(registry, after, stillMs, (c) => (window.peers.size === 0 ? storesPending(before.counters, c, facts) : 'no'));
            if (!settled) return { kind: 'unknown', reason: `the cache was still storing what it fetched ${this.settle.atMostMs / 1000} s after the pull` };
            after = settled;
          }
          return hitOrMiss(before.counters, after, facts, window.peers.size + 1);
        } catch (err) {
          return unreadable((err as Error).message);
        } finally {
          close();
        }
      },
      cancel: close,
    };
  }

  /**
   * Reads again until `pending` says no (another pull joined, or all counted), or says maybe
   * and the counters stay still for `stillMs`; undefined when `atMostMs` is up first (a store
   * that failed never counts).
   */
  private async settled(registry: string, first: ProxyCounters, stillMs: number, pending: (c: ProxyCounters) => 'yes' | 'maybe' | 'no'): Promise<ProxyCounters | undefined> {
    const { everyMs, atMostMs } = this.settle;
    const end = Date.now() + atMostMs;
    let last = first;
    let movedAt = Date.now();
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, everyMs));
      const next = await this.read(registry);
      const now = pending(next);
      if (now === 'no') return next;
      if (JSON.stringify(next) !== JSON.stringify(last)) movedAt = Date.now();
      else if (now === 'maybe' && Date.now() - movedAt >= stillMs) return next;
      last = next;
    }
    return undefined;
  }
}

function unreadable(reason: string): CacheServed {
  return { kind: 'unknown', reason: `the cache's counters cannot be read (${reason})` };
}
