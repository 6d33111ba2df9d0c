// Writes a response the proxy makes itself (an interceptor's answer) onto the client's
// connection: a streamed chunked body or a small JSON one, with backpressure.
// Counts what it sends on the request's log entry; never writes after the client is gone.
import type { Socket } from 'node:net';
import type { LogDetail } from '../../../shared/log';

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

export class ClientResponder {
  started = false;
  private ended = false;
  private resolveFinished!: () => void;
  /** Settles when the response has been fully written (or the client went away). */
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  constructor(private readonly socket: Socket, private readonly entry: LogDetail) {
    socket.once('close', () => this.resolveFinished());
  }

  /** Starts a streamed (chunked) response. */
  writeHead(status: number, headers: Record<string, string>): void {
    if (this.started) throw new Error('response already started');
    this.started = true;
    this.entry.status = status;
    const all: [string, string][] = [...Object.entries(headers), ['Transfer-Encoding', 'chunked']];
    this.entry.responseHeaders = all;
    this.send(head(status, all));
  }

  async write(data: string | Buffer): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (buf.length === 0) return;
    if (!this.send(Buffer.concat([Buffer.from(buf.length.toString(16) + '\r\n'), buf, Buffer.from('\r\n')]))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off('drain', done);
          this.socket.off('close', done);
          resolve();
        };
        this.socket.on('drain', done);
        this.socket.on('close', done);
      });
    }
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.send(Buffer.from('0\r\n\r\n'));
    this.resolveFinished();
  }

  /** A complete small JSON response (Docker-style errors, tag results). */
  async json(status: number, value: unknown): Promise<void> {
    if (this.started) throw new Error('response already started');
    this.started = true;
    this.ended = true;
    this.entry.status = status;
    const body = Buffer.from(JSON.stringify(value) + '\n');
    const headers: [string, string][] = [['Content-Type', 'application/json'], ['Content-Length', String(body.length)]];
    this.entry.responseHeaders = headers;
    this.send(Buffer.concat([head(status, headers), body]));
    this.resolveFinished();
  }

  private send(buf: Buffer): boolean {
    this.entry.bytesOut += buf.length;
    if (this.socket.destroyed) return true;
    return this.socket.write(buf);
  }
}

function head(status: number, headers: [string, string][]): Buffer {
  let text = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Status'}\r\n`;
  for (const [k, v] of headers) text += `${k}: ${v}\r\n`;
  return Buffer.from(text + '\r\n');
}
