// How `serve` prints finished requests without holding up the requests still in flight:
// lines wait up to LOG_FLUSH_MS to be printed together (stdout to a pipe or file is a
// synchronous write, one per request would cost every request), and are then formatted and
// written a slice at a time, each slice in its own turn of the event loop, so a request that
// arrives meanwhile waits for one slice at most, never for the whole batch.
// Never formats or writes on the data path itself.
import { formatLogLine, type LogFormat } from './log-line';
import type { LogDetail } from '#shared/log';

/** How long a finished request's line may wait to be printed with others. */
export const LOG_FLUSH_MS = 20;
/** Lines formatted and written in one turn of the event loop. */
export const PRINT_SLICE = 32;
/** A backlog this long is printed at once: printing must keep up with any request rate. */
const MAX_BACKLOG = 2048;

export class LogPrinter {
  private queue: LogDetail[] = [];
  /** The first queued entry not printed yet. */
  private next = 0;
  private scheduled = false;

  constructor(private readonly format: LogFormat, private readonly write: (text: string) => void) {}

  /** A finished entry: printed within LOG_FLUSH_MS, in order. */
  add(entry: LogDetail): void {
    this.queue.push(entry);
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => this.printSlice(), LOG_FLUSH_MS).unref();
  }

  /** Prints everything still queued, now (on shutdown). */
  flush(): void {
    while (this.next < this.queue.length) this.writeSlice();
  }

  private printSlice(): void {
    this.writeSlice();
    if (this.next < this.queue.length) setImmediate(() => this.printSlice()).unref();
    else this.scheduled = false;
  }

  private writeSlice(): void {
    const backlog = this.queue.length - this.next;
    const end = this.next + (backlog > MAX_BACKLOG ? backlog : Math.min(backlog, PRINT_SLICE));
    let text = '';
    for (let i = this.next; i < end; i++) {
      const entry = this.queue[i]!;
      text += formatLogLine(entry, this.format) + '\n';
    }
    if (end === this.queue.length) {
      this.queue = [];
      this.next = 0;
    } else this.next = end;
    if (text) this.write(text);
  }
}
