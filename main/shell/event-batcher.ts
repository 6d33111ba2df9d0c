// Pushes engine events to windows: log summaries batched per window (every ~75 ms or 500
// entries), config and status changes to every window at once. Never sends log entries to a
// hidden window; a window shown again is re-synced from the store's snapshot instead.
import type { PushEvent, PushEvents } from '#shared/ipc';
import type { LogEntry } from '#shared/log';
import type { Engine } from '../engine/engine';
import { summary } from '../engine/log/log-store';

/** Where a window's pushed events go (`webContents.send` in the app). */
export type SendToWindow = <E extends PushEvent>(event: E, payload: PushEvents[E]) => void;

export interface BatchLimits {
  intervalMs: number;
  maxEntries: number;
}

export const defaultBatchLimits: BatchLimits = { intervalMs: 75, maxEntries: 500 };

type LogSource = Pick<Engine['logs'], 'snapshot' | 'lastSeq' | 'dropped'>;

/** One window's log feed: collects summaries while visible and sends them in batches. */
export class WindowFeed {
  private readonly pending = new Map<number, LogEntry>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Something happened while the window could not be told; re-sync when shown. */
  private missed = false;
  private disposed = false;

  constructor(
    private readonly send: SendToWindow,
    private readonly logs: LogSource,
    private visible: boolean,
    private readonly limits: BatchLimits = defaultBatchLimits,
  ) {}

  /** A new or updated summary; an update replaces a pending one with the same seq. */
  add(entry: LogEntry): void {
    if (this.disposed) return;
    if (!this.visible) {
      this.missed = true;
      return;
    }
    this.pending.delete(entry.seq);
    this.pending.set(entry.seq, entry);
    if (this.pending.size >= this.limits.maxEntries) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.limits.intervalMs);
  }

  /** The log was cleared: visible windows hear it now, hidden ones when shown. */
  cleared(): void {
    if (this.disposed) return;
    this.dropPending();
    if (this.visible) this.send('logs.cleared', undefined);
    else this.missed = true;
  }

  setVisible(visible: boolean): void {
    if (this.disposed || visible === this.visible) return;
    this.visible = visible;
    if (!visible) {
      if (this.pending.size > 0) this.missed = true;
      this.dropPending();
    } else if (this.missed) {
      this.resync();
    }
  }

  /** Sends what is pending now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0 || this.disposed) return;
    const entries = [...this.pending.values()];
    this.pending.clear();
    this.send('logs.batch', { entries, dropped: this.logs.dropped, lastSeq: this.logs.lastSeq });
  }

  dispose(): void {
    this.dropPending();
    this.disposed = true;
  }

  /** Replaces what the window holds with the store's snapshot, in batches of at most maxEntries. */
  private resync(): void {
    this.missed = false;
    this.send('logs.cleared', undefined);
    const entries = this.logs.snapshot();
    const { dropped, lastSeq } = this.logs;
    for (let i = 0; i < entries.length; i += this.limits.maxEntries) {
      this.send('logs.batch', { entries: entries.slice(i, i + this.limits.maxEntries), dropped, lastSeq });
    }
  }

  private dropPending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}

/** Subscribes once to the engine and fans its events out to every attached window. */
export class EngineEvents {
  private readonly feeds = new Set<{ feed: WindowFeed; send: SendToWindow }>();
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly engine: Pick<Engine, 'logs' | 'config' | 'onStatus'>,
    private readonly limits: BatchLimits = defaultBatchLimits,
  ) {
    this.unsubscribe = [
      engine.logs.subscribe((entry) => {
        // Copy now: the store keeps mutating the entry while the request runs. It hands
        // listeners its stored details, whose headers must stay in main.
        const copy = summary(entry);
        for (const { feed } of this.feeds) feed.add(copy);
      }),
      engine.config.onChange((state) => this.broadcast('config.changed', state)),
      engine.onStatus((status) => this.broadcast('status.changed', status)),
    ];
  }

  /** Starts feeding a window; returns its feed (tell it about visibility) and a detach function. */
  attach(send: SendToWindow, visible: boolean): { feed: WindowFeed; detach: () => void } {
    const item = { feed: new WindowFeed(send, this.engine.logs, visible, this.limits), send };
    this.feeds.add(item);
    return {
      feed: item.feed,
      detach: () => {
        item.feed.dispose();
        this.feeds.delete(item);
      },
    };
  }

  /** The log was cleared (LogStore.clear does not notify its subscribers). */
  logsCleared(): void {
    for (const { feed } of this.feeds) feed.cleared();
  }

  broadcast<E extends PushEvent>(event: E, payload: PushEvents[E]): void {
    for (const { send } of this.feeds) send(event, payload);
  }

  dispose(): void {
    for (const off of this.unsubscribe) off();
    for (const { feed } of this.feeds) feed.dispose();
    this.feeds.clear();
  }
}
