// Writes a response the proxy makes itself (an interceptor's answer) onto the client's
// connection: streamed or small JSON, shaped for the request (HTTP/1.0, HEAD), with
// backpressure. Counts what it sends on the request's log entry; never writes after the
// client is gone, and adds no listener that outlives a write.
import type { Socket } from 'node:net';
import type { LogDetail } from '#shared/log';
import { jsonResponse, responseHead, type ResponseShape } from './docker-error';

export class ClientResponder {
  started = false;
  private ended = false;
  private resolveFinished!: () => void;
  /** Settles when the response has been fully written (or the client went away). */
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  constructor(private readonly socket: Socket, private readonly entry: LogDetail, private readonly shape: ResponseShape) {}

  /** Starts a streamed response: chunked for HTTP/1.1, until close for HTTP/1.0. */
  writeHead(status: number, headers: Record<string, string>): void {
    if (this.started) throw new Error('response already started');
    this.started = true;
    this.entry.status = status;
    const all: [string, string][] = Object.entries(headers);
    if (!this.shape.http10) all.push(['Transfer-Encoding', 'chunked']);
    this.entry.responseHeaders = all;
    // An HTTP/1.0 client learns where a streamed body ends only from the connection's end.
    this.send(responseHead(status, all, this.shape.http10 ? { ...this.shape, close: true } : this.shape));
  }

  async write(data: string | Buffer): Promise<void> {
    if (this.ended) return;
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (buf.length === 0 || this.shape.head) return;
    const framed = this.shape.http10 ? buf : Buffer.concat([Buffer.from(buf.length.toString(16) + '\r\n'), buf, Buffer.from('\r\n')]);
    if (!this.send(framed)) await this.drained();
  }

  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    if (!this.shape.http10 && !this.shape.head) this.send(Buffer.from('0\r\n\r\n'));
    this.resolveFinished();
  }

  /** A complete small JSON response (Docker-style errors, tag results). */
  async json(status: number, value: unknown): Promise<void> {
    if (this.started) throw new Error('response already started');
    this.started = true;
    this.ended = true;
    this.entry.status = status;
    const { bytes, headers } = jsonResponse(status, value, this.shape);
    this.entry.responseHeaders = headers;
    this.send(bytes);
    this.resolveFinished();
  }

  /** The client went away: whoever waits for the response stops waiting. */
  abandon(): void {
    this.ended = true;
    this.resolveFinished();
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  private send(buf: Buffer): boolean {
    this.entry.bytesOut += buf.length;
    if (this.socket.destroyed) return true;
    return this.socket.write(buf);
  }
}
