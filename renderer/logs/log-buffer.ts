// The inspector's copy of the request log: a capped ring of summaries in seq order, kept
// outside React and zustand (100,000 rows must not be copied per update). Rows are addressed
// by an absolute index that only grows, so views can hold indexes across evictions.
import type { LogEntry } from '#shared/log';

export type PutResult =
  | { kind: 'appended'; index: number; evicted: boolean }
  | { kind: 'updated'; index: number }
  | { kind: 'ignored' };

export class LogBuffer {
  private readonly slots: (LogEntry | undefined)[];
  /** Absolute index of the oldest row held. */
  start = 0;
  /** Absolute index one past the newest row. */
  end = 0;

  constructor(readonly capacity: number) {
    this.slots = new Array(capacity);
  }

  get length(): number {
    return this.end - this.start;
  }

  get lastSeq(): number {
    return this.length ? this.at(this.end - 1).seq : 0;
  }

  at(index: number): LogEntry {
    return this.slots[index % this.capacity]!;
  }

  /** Absolute index of the row with this seq, or -1 (binary search: seqs only grow). */
  indexOfSeq(seq: number): number {
    let lo = this.start;
    let hi = this.end - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.at(mid).seq;
      if (s === seq) return mid;
      if (s < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /**
   * A newer seq is appended (evicting the oldest row when full); a held seq is replaced,
   * except that a finished entry never goes back to pending (a late, older copy is ignored).
   */
  put(entry: LogEntry): PutResult {
    if (this.length === 0 || entry.seq > this.lastSeq) {
      const evicted = this.length === this.capacity;
      if (evicted) this.start++;
      this.slots[this.end % this.capacity] = entry;
      return { kind: 'appended', index: this.end++, evicted };
    }
    const index = this.indexOfSeq(entry.seq);
    if (index < 0 || (entry.pending && !this.at(index).pending)) return { kind: 'ignored' };
    this.slots[index % this.capacity] = entry;
    return { kind: 'updated', index };
  }

  clear(): void {
    this.slots.fill(undefined);
    this.start = this.end = 0;
  }
}
