// The buffer a proxy socket (engine or client) reads into next. A socket keeps its own buffer
// and reuses it while no write to the other side still holds its bytes; it starts small and grows only while reads
// fill it, so hundreds of idle event streams hold a few KiB each and a `docker save` reads
// 64 KiB at a time. Never hands out a buffer that a queued write still points into.

export const SMALL_READ_BUFFER = 4 * 1024;
export const LARGE_READ_BUFFER = 64 * 1024;

/**
 * After a read of `n` bytes into `current`: the buffer for the socket's next read.
 * `held` says a write (or a held request) still points into these bytes: they must stay untouched.
 */
export function nextReadBuffer(current: Buffer, n: number, held: boolean): Buffer {
  const size = n >= current.length ? LARGE_READ_BUFFER : n <= SMALL_READ_BUFFER / 2 ? SMALL_READ_BUFFER : current.length;
  return held || size !== current.length ? Buffer.allocUnsafe(size) : current;
}
