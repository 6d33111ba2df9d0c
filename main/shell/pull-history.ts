// What the tray shows about recent pulls: the last few finished pulls and how many were
// redirected to a mirror today (local time). Pure; never holds more than a handful of entries.
import type { LogEntry } from '#shared/log';

export interface RecentPull {
  seq: number;
  image: string;
  action: LogEntry['action'];
  /** The reference the image came from, when one was pulled. */
  source?: string;
  error?: string;
}

function dayKey(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;
}

export class PullHistory {
  private readonly recentPulls: RecentPull[] = [];
  private day = '';
  private readonly redirectedSeqs = new Set<number>();

  constructor(private readonly keep = 5) {}

  /** Records a finished pull; other entries (and pulls still running) are ignored. */
  record(entry: LogEntry): void {
    if (entry.route !== 'pull' || entry.pending) return;
    const pull: RecentPull = { seq: entry.seq, image: entry.image ?? entry.rewrite?.original ?? 'an image', action: entry.action };
    if (entry.rewrite?.source) pull.source = entry.rewrite.source;
    if (entry.error) pull.error = entry.error;
    const existing = this.recentPulls.findIndex((p) => p.seq === entry.seq);
    if (existing >= 0) this.recentPulls.splice(existing, 1);
    this.recentPulls.unshift(pull);
    this.recentPulls.length = Math.min(this.recentPulls.length, this.keep);

    if (entry.action === 'redirected') {
      const day = dayKey(entry.time);
      if (day !== this.day) {
        this.day = day;
        this.redirectedSeqs.clear();
      }
      this.redirectedSeqs.add(entry.seq);
    }
  }

  /** Newest first. */
  recent(): readonly RecentPull[] {
    return this.recentPulls;
  }

  redirectedToday(now: number): number {
    return dayKey(now) === this.day ? this.redirectedSeqs.size : 0;
  }
}
