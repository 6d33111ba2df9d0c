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

/** Calls `done` once no write the other side has queued so far can touch their bytes any more. */
export type WhenWritten = (done: () => void) => void;

/**
 * The buffers one socket reads into while its bytes are written on to the other side. A buffer
 * is replaced when the other side still has writes queued after a read (they may point into
 * it); it goes back to the pool once those writes have completed. Writes that completed at once
 * (the usual case: the kernel took the bytes) cost nothing here.
 */
export class SocketReadBuffers {
  /** The buffer the next read goes into. */
  current: Buffer;

  constructor(private readonly pool: ReadBufferPool, private readonly whenWritten: WhenWritten) {
    this.current = Buffer.allocUnsafe(SMALL_READ_BUFFER);
  }

  /**
   * After a read of `n` bytes into `current`, once they were written on. `queued`: the other
   * side has writes not yet completed; `kept`: something else keeps a slice of the bytes (a
   * paused reader), so this buffer is never reused and never pooled: the garbage collector
   * takes it.
   */
  afterRead(n: number, queued: boolean, kept: boolean): void {
    const current = this.current;
    const size = n >= current.length ? LARGE_READ_BUFFER : n <= SMALL_READ_BUFFER / 2 ? SMALL_READ_BUFFER : current.length;
    if (!queued && !kept && size === current.length) return;
    this.current = size === LARGE_READ_BUFFER ? this.pool.take() : Buffer.allocUnsafe(SMALL_READ_BUFFER);
    if (!kept) this.retire(current, queued);
  }

  /** The socket closed and reads nothing more; `queued` as for afterRead. */
  close(queued: boolean): void {
    const current = this.current;
    this.current = CLOSED;
    this.retire(current, queued);
  }

  private retire(buf: Buffer, queued: boolean): void {
    if (buf.length !== LARGE_READ_BUFFER) return;
    if (!queued) {
      this.pool.give(buf);
      return;
    }
    this.whenWritten(() => this.pool.give(buf));
  }
}
