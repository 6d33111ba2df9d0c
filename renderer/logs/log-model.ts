// The inspector's log state that is too big for React: the capped buffer, the filtered view
// over it and the counters around them. Mutated in place by the log feed once per frame;
// React learns of changes through one revision number in the store, never through this object.
import type { LogEntry } from '#shared/log';
import { compileLogFilter, emptyLogFilter, type LogFilter } from '#shared/log-filter';
import { LogBuffer } from './log-buffer';
import { FilteredView } from './filtered-view';

/** As many rows as main's snapshot may return; ~30 px rows stay far below the browser's height limit. */
export const LOG_CAPACITY = 100_000;

export class LogModel {
  readonly buffer: LogBuffer;
  readonly view = new FilteredView();
  private matches = compileLogFilter(emptyLogFilter);
  /** Rows that left the front of the view since the last rebuild (lets a scrolled-up list hold its place). */
  frontDropped = 0;
  /** Changes whenever the view is rebuilt from scratch (filter change, reset, clear). */
  epoch = 0;
  /** Requests this window cannot show: dropped by main's cap before it got them, or by ours. */
  dropped = 0;
  /** The newest seq received since the last clear (0: none yet). */
  lastSeq = 0;
  /** Whether any pull went through the proxy since the last clear (the first-run checklist's last step). */
  pullSeen = false;

  constructor(capacity = LOG_CAPACITY) {
    this.buffer = new LogBuffer(capacity);
  }

  /** Whether these entries skip seqs after the newest one held (main sent nothing for a while). */
  hasGap(entries: readonly LogEntry[]): boolean {
    if (this.lastSeq === 0) return false;
    for (const entry of entries) if (entry.seq > this.lastSeq) return entry.seq > this.lastSeq + 1;
    return false;
  }

  /** Applies new and updated summaries in arrival order; skipped seqs count as dropped. */
  apply(entries: readonly LogEntry[]): void {
    const { buffer, view } = this;
    for (const entry of entries) {
      const result = buffer.put(entry);
      if (result.kind === 'appended') {
        if (this.lastSeq > 0 && entry.seq > this.lastSeq + 1) this.dropped += entry.seq - this.lastSeq - 1;
        this.lastSeq = entry.seq;
        if (entry.route === 'pull') this.pullSeen = true;
        if (result.evicted) {
          this.dropped++;
          this.frontDropped += view.dropBefore(buffer.start);
        }
        if (this.matches(entry)) view.push(result.index);
      } else if (result.kind === 'updated') {
        view.set(result.index, this.matches(entry));
      }
    }
  }

  /**
   * Forgets every row: the log was cleared, or main is about to replay what it holds (it sends
   * `logs.cleared` before re-syncing a window that was hidden).
   */
  clear(): void {
    this.buffer.clear();
    this.dropped = 0;
    this.lastSeq = 0;
    this.pullSeen = false;
    this.rebuild();
  }

  setFilter(filter: LogFilter): void {
    this.matches = compileLogFilter(filter);
    this.rebuild();
  }

  /** The entry shown at a view position. */
  rowAt(position: number): LogEntry {
    return this.buffer.at(this.view.at(position));
  }

  /** View position of a seq, or -1 when it is not shown. */
  positionOfSeq(seq: number): number {
    const index = this.buffer.indexOfSeq(seq);
    return index < 0 ? -1 : this.view.positionOf(index);
  }

  entryBySeq(seq: number): LogEntry | null {
    const index = this.buffer.indexOfSeq(seq);
    return index < 0 ? null : this.buffer.at(index);
  }

  /** The shown entries, oldest first (for export). */
  *shown(): Generator<LogEntry> {
    for (let p = 0; p < this.view.length; p++) yield this.rowAt(p);
  }

  /** Every pull held of one image (by its normalised name): how many, how many fell back or failed, the last source. */
  pullSummary(original: string): PullSummary {
    const summary: PullSummary = { pulls: 0, fellBack: 0, failed: 0, lastSource: null };
    const { buffer } = this;
    for (let i = buffer.start; i < buffer.end; i++) {
      const entry = buffer.at(i);
      if (entry.route !== 'pull' || entry.rewrite?.original !== original) continue;
      summary.pulls++;
      if (entry.action === 'fell back') summary.fellBack++;
      if (entry.action === 'failed') summary.failed++;
      if (entry.rewrite.source) summary.lastSource = entry.rewrite.source;
    }
    return summary;
  }

  private rebuild(): void {
    const { buffer, view } = this;
    view.clear();
    for (let i = buffer.start; i < buffer.end; i++) if (this.matches(buffer.at(i))) view.push(i);
    this.frontDropped = 0;
    this.epoch++;
  }
}

export interface PullSummary {
  pulls: number;
  fellBack: number;
  failed: number;
  lastSource: string | null;
}

export const logModel = new LogModel();
