// Watches pulls through each cache to tell hit from miss: reads the cache's proxy counters
// when a pull starts and when it ends, and knows which pulls through the same cache ran at
// the same time (their counters mix, so none of them is told). Never holds a pull up for more
// than one bounded read; a counter that cannot be read makes the answer "unknown", never an error.
import type { CacheServed } from '#shared/log';
import type { PullFacts } from '../rewrite/pull-progress';
import { hitOrMiss, type ProxyCounters } from './hit-or-miss';

export interface CachePullWatch {
  /** Reads the counters again and tells hit or miss from what the engine said it fetched. */
  finish(facts: PullFacts): Promise<CacheServed>;
  /** The pull did not come from the cache: nothing to tell (its window still counts for pulls beside it). */
  cancel(): void;
}

interface Window {
  peers: Set<Window>;
}

export class CachePullWatches {
  private readonly active = new Map<string, Set<Window>>();

  constructor(private readonly read: (registry: string) => Promise<ProxyCounters>) {}

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
          const after = await this.read(registry);
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
}

function unreadable(reason: string): CacheServed {
  return { kind: 'unknown', reason: `the cache's counters cannot be read (${reason})` };
}
