// Makes an accepted client socket read into buffers the proxy owns (net.Socket's `onread`),
// as engine sockets already do: no fresh 64 KiB allocation and no readable-stream events per
// read. Node 20 and 24 accept `onread` only when a socket is constructed, and a server builds
// its sockets itself, so the accepted socket's handle is moved into a new socket constructed
// with `onread`. That relies on two internals (`_handle` and the constructor's `handle`
// option, which Node itself uses for accepted sockets); where they are missing the accepted
// socket is used as it is, with 'data' events. Never reads before the caller is ready: the
// server must accept with pauseOnConnect.
import { Socket } from 'node:net';

export interface OwnReads {
  /** The buffer the next read goes into. */
  buffer(): Buffer;
  /** `n` bytes were read into `buf` (with 'data' events: a buffer of their own). */
  callback(n: number, buf: Buffer): void;
}

interface StreamHandle {
  readStart(): number;
  readStop(): number;
  useUserBuffer(buf: Uint8Array): void;
}

function isStreamHandle(handle: unknown): handle is StreamHandle {
  const h = handle as Partial<StreamHandle> | null;
  return typeof h === 'object' && h !== null && typeof h.readStart === 'function' && typeof h.useUserBuffer === 'function';
}

/** The socket to use from now on: `accepted`'s connection, reading through `reads`. */
export function withOwnReads(accepted: Socket, reads: OwnReads, options: { highWaterMark: number }): Socket {
  const internal = accepted as unknown as { _handle: unknown };
  const handle = internal._handle;
  if (!isStreamHandle(handle) || accepted.destroyed) return withDataEvents(accepted, reads);
  internal._handle = null;
  const socket = new Socket({
    handle, allowHalfOpen: true, readable: true, writable: true, highWaterMark: options.highWaterMark,
    onread: {
      buffer: () => reads.buffer(),
      callback: (n: number, buf: Uint8Array) => {
        reads.callback(n, buf as Buffer);
        return true;
      },
    },
  } as ConstructorParameters<typeof Socket>[0]);
  // The handle-less original only settles the server's connection count.
  accepted.destroy();
  return socket;
}

function withDataEvents(accepted: Socket, reads: OwnReads): Socket {
  accepted.on('data', (buf: Buffer) => reads.callback(buf.length, buf));
  accepted.resume();
  return accepted;
}
