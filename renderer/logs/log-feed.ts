// Brings main's request log into the inspector: the history from `logs.snapshot` at start,
// then the batches main pushes, queued and applied to the log model once per animation frame
// (with a timer floor: hidden windows get no frames), in slices so a big catch-up never blocks
// a frame. Resuming after a pause, or a gap in seqs, catches up from the snapshot again.
// Dropped requests are counted from the seqs themselves (a batch's `dropped` is main's count
// since the engine started, clears included). Never touches React: it calls `onChange`.
import type { LogSnapshot, Result } from '#shared/ipc';
import type { LogEntry } from '#shared/log';
import type { LogModel } from './log-model';

/** Entries applied per slice; more wait for the next turn of the event loop. */
const SLICE = 5_000;
/** Flush even when no frame comes (hidden or throttled window). */
const FLUSH_FLOOR_MS = 250;
/** A second gap this soon after a sync is accepted as dropped rather than synced again. */
const SYNC_COOLDOWN_MS = 1_000;

interface Pending {
  entries: readonly LogEntry[];
  /** Snapshot entries are authoritative: a gap in them is what main no longer has. */
  fromSnapshot: boolean;
}

export class LogFeed {
  private queue: Pending[] = [];
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private syncing = false;
  private lastSyncAt = -Infinity;
  paused = false;
  /** The highest seq main has announced, even while paused. */
  announcedSeq = 0;
  error: string | null = null;
  onChange: () => void = () => {};

  constructor(private readonly model: LogModel, private readonly snapshot: () => Promise<Result<LogSnapshot>>) {}

  /** Entries that arrived while paused and are not shown yet. */
  get waiting(): number {
    return Math.max(0, this.announcedSeq - this.model.lastSeq);
  }

  receive(entries: readonly LogEntry[]): void {
    for (const entry of entries) if (entry.seq > this.announcedSeq) this.announcedSeq = entry.seq;
    if (!this.paused) this.queue.push({ entries, fromSnapshot: false });
    this.schedule();
  }

  /** Loads the history main holds; call once when the window starts. */
  start(): Promise<void> {
    return this.sync(true);
  }

  /** Loads what main holds; batches received until the answer are covered by it. */
  private async sync(initial = false): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    this.lastSyncAt = performance.now();
    this.queue = [];
    const result = await this.snapshot();
    this.syncing = false;
    if (result.ok) {
      this.error = null;
      // What main's cap dropped before this window opened; later gaps are counted as they show.
      if (initial) this.model.dropped += result.value.dropped;
      if (result.value.lastSeq > this.announcedSeq) this.announcedSeq = result.value.lastSeq;
      if (!this.paused) this.queue.unshift({ entries: result.value.entries, fromSnapshot: true });
    } else {
      this.error = `could not load the request log: ${result.error}`;
    }
    this.schedule();
  }

  /** The log was cleared, or main is about to replay it: forget everything held and queued. */
  cleared(): void {
    this.queue = [];
    this.model.clear();
    this.announcedSeq = 0;
    this.onChange();
  }

  /** Pausing drops what arrives; resuming catches up from main's snapshot. */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (paused) this.queue = [];
    else if (this.waiting > 0) void this.sync();
    this.onChange();
  }

  private schedule(): void {
    if (this.frame || this.timer !== undefined) return;
    this.frame = requestAnimationFrame(this.flush);
    this.timer = setTimeout(this.flush, FLUSH_FLOOR_MS);
  }

  private readonly flush = (): void => {
    cancelAnimationFrame(this.frame);
    clearTimeout(this.timer);
    this.frame = 0;
    this.timer = undefined;
    if (this.syncing) return;
    let budget = SLICE;
    while (budget > 0 && this.queue.length > 0) {
      const next = this.queue[0]!;
      if (!next.fromSnapshot && this.model.hasGap(next.entries) && performance.now() - this.lastSyncAt > SYNC_COOLDOWN_MS) {
        void this.sync();
        break;
      }
      if (next.entries.length > budget) {
        this.model.apply(next.entries.slice(0, budget));
        this.queue[0] = { entries: next.entries.slice(budget), fromSnapshot: next.fromSnapshot };
        budget = 0;
      } else {
        this.model.apply(next.entries);
        budget -= next.entries.length;
        this.queue.shift();
      }
    }
    this.onChange();
    if (this.queue.length > 0 && !this.syncing) this.timer = setTimeout(this.flush, 0);
  };
}
