// The buffers proxy sockets (engine and client) read into. A socket keeps its own buffer and
// reuses it while no write to the other side still holds its bytes; it starts small and grows
// only while reads fill it, so hundreds of idle event streams hold a few KiB each and a
// `docker save` reads 64 KiB at a time. The 64 KiB buffers come from a small pool and go back
// to it once the last write pointing into them has completed, so how many are alive follows
// the streams running now, not when the garbage collector runs (glibc's main arena keeps the
// peak number of 64 KiB blocks ever freed at once). Never hands out a buffer that a queued
// write or a held request still points into.

export const SMALL_READ_BUFFER = 4 * 1024;
export const LARGE_READ_BUFFER = 64 * 1024;
/**
 * Idle 64 KiB buffers a pool keeps (2 MiB): a stream holds at most its current buffer plus the
 * high-water mark's worth of queued writes (512 KiB), so this covers a few streams at once.
 */
export const POOL_LIMIT = 32;

/** Where a closed socket's buffer points: a read into it fails instead of landing in a reused buffer. */
const CLOSED = Buffer.alloc(0);

/** 64 KiB read buffers that no socket reads into and no write points into, for the next stream. */
export class ReadBufferPool {
  private readonly idle: Buffer[] = [];
  /** 64 KiB buffers allocated since the pool was made. */
  allocated = 0;
  /** Buffers taken and not given back: read into, held by writes, or left to the garbage collector. */
  outstanding = 0;
  /** The most ever outstanding at once. */
  peakOutstanding = 0;

  constructor(readonly limit = POOL_LIMIT) {}

  get idleBuffers(): number {
    return this.idle.length;
  }

  take(): Buffer {
    if (++this.outstanding > this.peakOutstanding) this.peakOutstanding = this.outstanding;
    const buf = this.idle.pop();
    if (buf) return buf;
    this.allocated++;
    return Buffer.allocUnsafe(LARGE_READ_BUFFER);
  }

  /** `buf` is a 64 KiB buffer nothing points into any more; beyond the limit it is left to GC. */
  give(buf: Buffer): void {
    this.outstanding--;
    if (this.idle.length < this.limit) this.idle.push(buf);
  }
}

/**
 * The buffers one socket reads into while its bytes are written on to one other socket (the
 * writer). Every write of bytes that may come from these buffers goes through `wrote` and takes
 * `written` as its callback: Node calls it once per write, in write order, when the writer no
 * longer holds the bytes (sent, or the writer destroyed). When the writer changes, `forNewWriter`
 * gives the socket a new tracker, so completions of two writers never mix.
 */
export class SocketReadBuffers {
  /** The buffer the next read goes into. */
  current: Buffer;
  /** The memory behind each write whose callback has not come yet, oldest first. */
  private readonly inFlight: ArrayBufferLike[] = [];
  /** 64 KiB buffers replaced while writes still held them: back to the pool when those complete. */
  private readonly retired: Buffer[] = [];
  /** A write failed: completions no longer say what is free, so nothing more goes back to the pool. */
  private failed = false;

  constructor(private readonly pool: ReadBufferPool, current: Buffer = Buffer.allocUnsafe(SMALL_READ_BUFFER)) {
    this.current = current;
  }

  /** Call just before writing `bytes` to the writer with `written` as the write's callback. */
  wrote(bytes: Buffer): void {
    this.inFlight.push(bytes.buffer);
  }

  readonly written = (err?: Error | null): void => {
    const done = this.inFlight.shift();
    if (err) {
      this.fail();
      return;
    }
    if (this.retired.length === 0 || done === undefined || this.inFlight.includes(done)) return;
    const at = this.retired.findIndex((buf) => buf.buffer === done);
    if (at === -1) return;
    this.pool.give(this.retired[at]!);
    this.retired.splice(at, 1);
  };

  /**
   * After a read of `n` bytes into `current`, once they were written on. `queued`: the writer
   * has not sent everything yet; `kept`: something else keeps a slice of the bytes (a paused
   * reader), so this buffer is never reused and never pooled: the garbage collector takes it.
   */
  afterRead(n: number, queued: boolean, kept: boolean): void {
    const current = this.current;
    const size = n >= current.length ? LARGE_READ_BUFFER : n <= SMALL_READ_BUFFER / 2 ? SMALL_READ_BUFFER : current.length;
    if (!queued && !kept && size === current.length) return;
    this.current = size === LARGE_READ_BUFFER ? this.pool.take() : Buffer.allocUnsafe(SMALL_READ_BUFFER);
    if (!kept) this.retire(current);
  }

  /**
   * The socket's bytes go to a new writer from now on (this one keeps counting its writes'
   * completions). A current buffer that writes to the old writer still hold is left to the
   * garbage collector: the bytes being read now may go to the new writer too, whose
   * completions this tracker never sees.
   */
  forNewWriter(): SocketReadBuffers {
    const current = this.current;
    this.current = CLOSED;
    return new SocketReadBuffers(this.pool, this.inFlight.includes(current.buffer) ? undefined : current);
  }

  /** The socket closed: it reads nothing more, its buffer goes back once no write holds it. */
  close(): void {
    const current = this.current;
    this.current = CLOSED;
    this.retire(current);
  }

  private retire(buf: Buffer): void {
    if (buf.length !== LARGE_READ_BUFFER || this.failed) return;
    if (this.inFlight.includes(buf.buffer)) this.retired.push(buf);
    else this.pool.give(buf);
  }

  private fail(): void {
    this.failed = true;
    this.retired.length = 0;
  }
}
