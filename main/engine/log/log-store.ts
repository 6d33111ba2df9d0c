// The request log: a capped in-memory ring buffer of redacted entries with sequence
// numbers, and the subscribers (CLI printer, Electron batcher) it notifies.
// Never holds a body or an unredacted header.
import type { LogDetail, LogEntry } from '#shared/log';
import { parseResponseHead } from '../proxy/http-stream';
import { redactHeaders } from './redact';
import { Listeners } from '../listeners';

/** A log entry as kept: the response head may stay raw text until details are asked for. */
export type StoredEntry = LogDetail & { responseHead?: string };

export type LogEventKind = 'begin' | 'update' | 'end';
/** Listeners get the stored entry itself (details included): pass `summary(entry)` on to anything outside main. */
export type LogListener = (entry: LogDetail, kind: LogEventKind) => void;

export class LogStore {
  private readonly ring: (LogDetail | undefined)[];
  private nextSeq = 1;
  private droppedCount = 0;
  private clearedBefore = 1;
  private readonly listeners = new Listeners<Parameters<LogListener>>('request log');

  constructor(readonly capacity = 10_000) {
    this.ring = new Array(capacity);
  }

  /**
   * Adds a new entry, assigning its seq; returns the stored object for later updates. A seq in
   * `entry` is replaced: one placed last in the literal keeps the object from growing here.
   */
  begin(entry: Omit<LogDetail, 'seq'> & { seq?: number }): LogDetail {
    const stored = entry as LogDetail;
    stored.seq = this.nextSeq++;
    const slot = stored.seq % this.capacity;
    if (this.ring[slot] !== undefined) this.droppedCount++;
    this.ring[slot] = stored;
    this.emit(stored, 'begin');
    return stored;
  }

  /** Tells subscribers an entry changed (progress, rewrite trace) while still pending. */
  update(entry: LogDetail): void {
    this.emit(entry, 'update');
  }

  /** Marks an entry finished and tells subscribers. */
  end(entry: LogDetail): void {
    entry.pending = false;
    this.emit(entry, 'end');
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  /** The retained entries, oldest first, at most `limit` of the newest. */
  snapshot(limit = this.capacity): LogEntry[] {
    const out: LogEntry[] = [];
    const first = Math.max(this.clearedBefore, this.nextSeq - Math.min(limit, this.capacity));
    for (let seq = first; seq < this.nextSeq; seq++) {
      const entry = this.ring[seq % this.capacity];
      if (entry && entry.seq === seq) out.push(summary(entry));
    }
    return out;
  }

  detail(seq: number): LogDetail | null {
    const entry = this.ring[seq % this.capacity] as StoredEntry | undefined;
    if (!entry || entry.seq !== seq || seq < this.clearedBefore) return null;
    const { responseHead, ...detail } = entry;
    if (responseHead !== undefined) {
      try {
        detail.responseHeaders = redactHeaders(parseResponseHead(responseHead).headers);
      } catch {
        detail.responseHeaders = [];
      }
    }
    return detail;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.clearedBefore = this.nextSeq;
  }

  subscribe(listener: LogListener): () => void {
    return this.listeners.add(listener);
  }

  private emit(entry: LogDetail, kind: LogEventKind): void {
    this.listeners.emit(entry, kind);
  }
}

/** The summary part of a detail: what crosses IPC in batches (headers stay in main). */
export function summary(entry: LogDetail): LogEntry {
  const { requestHeaders: _req, responseHeaders: _res, forwardedPath: _fwd, progress, responseHead: _head, ...rest } = entry as StoredEntry;
  // The list shows a pull's image size, not its progress stream's: only the one number crosses.
  return progress && progress.bytesTotal > 0 ? { ...rest, imageBytes: progress.bytesDone } : rest;
}
