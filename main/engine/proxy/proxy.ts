// The socket proxy: each client connection is paired with its own upstream connection and
// bytes flow through as they are read, so keep-alive, streaming, upgrades and half-close
// behave exactly as against the engine. Heads are parsed (only heads) to log each request
// and to hand the few rewritten routes to interceptors. Never buffers a passed-through body.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LogDetail } from '../../../shared/log';
import {
  MalformedHttp, MessageReader, isUpgrade, parseRequestHead, requestFraming, scanResponseHead,
  responseFraming, type Framing, type RequestHead,
} from './http-stream';
import type { LogStore, StoredEntry } from '../log/log-store';
import { redactHeaders, redactTarget } from '../log/redact';
import { classifyRoute, type RouteInfo } from './routes';
import { connectOptions, formatUpstream, type UpstreamAddress } from '../upstream/upstream';
import { engineUnreachableMessage, type EngineClient } from '../upstream/engine-client';
import { ClientResponder } from './client-responder';

/** A request handed to an interceptor: head, classified route, the (small) body, its log entry. */
export interface InterceptedRequest {
  head: RequestHead;
  route: RouteInfo;
  body: Buffer;
  entry: LogDetail;
}

export interface InterceptContext {
  engine: EngineClient;
  respond: ClientResponder;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** Tell log subscribers the entry changed (trace, progress). */
  updated(): void;
}

/** What an interceptor decided: answer the client itself, or forward (possibly rewritten). */
export type InterceptOutcome = { kind: 'responded' } | { kind: 'forward'; head: RequestHead; body?: Buffer };

/** "Any function that takes a request and modifies it": the pull rewrite is one. */
export interface Interceptor {
  /** Cheap check on the head; only wanted requests have their body read into memory. */
  wants(route: RouteInfo, head: RequestHead): boolean;
  handle(request: InterceptedRequest, ctx: InterceptContext): Promise<InterceptOutcome>;
}

export interface ProxyOptions {
  upstream: () => UpstreamAddress;
  logs: LogStore;
  engine: EngineClient;
  interceptors?: () => readonly Interceptor[];
  /** Called when connecting to the engine fails or works again, for health status. */
  onUpstreamHealth?: (healthy: boolean, error?: string) => void;
}

/** Bodies of intercepted requests are small JSON (container create, pulls); larger ones are refused. */
const MAX_INTERCEPTED_BODY = 8 << 20;
const READ_BUFFER_SIZE = 64 * 1024;
/**
 * write() returns false for any chunk over the high-water mark even when the kernel took it
 * at once; with the default 16 KiB every 64 KiB read of a stream would pause and resume the
 * reading side. Backpressure starts once this much is really queued.
 */
const HIGH_WATER_MARK = 512 * 1024;
/** A stream option net.connect passes on to the socket; its types leave it out. */
const STREAM_OPTIONS: object = { highWaterMark: HIGH_WATER_MARK };

interface Exchange {
  entry: LogDetail;
  started: number;
  method: string;
  hijack: boolean;
  /** Response head seen (final, not 1xx). */
  answered: boolean;
  /** The response runs until the engine closes (101 upgrade or hijacked stream). */
  tunnel: boolean;
  informational: boolean;
}

export function createProxyServer(opts: ProxyOptions): Server & { closeAllConnections(): void } {
  const connections = new Set<ProxyConnection>();
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: false, highWaterMark: HIGH_WATER_MARK }, (client) => {
    const conn = new ProxyConnection(client, opts, () => connections.delete(conn));
    connections.add(conn);
  });
  return Object.assign(server, {
    closeAllConnections() {
      for (const conn of connections) conn.destroy();
    },
  });
}

class ProxyConnection {
  private upstream: Socket | null = null;
  private upstreamAddress = '';
  private responseReader: MessageReader | null = null;
  private readonly requestReader: MessageReader;
  /** Requests forwarded upstream whose responses are not finished, oldest first. */
  private readonly pending: Exchange[] = [];
  /** The request whose body is being read from the client. */
  private reading: Exchange | null = null;
  /** After a hijack request, client bytes are stdin: forwarded raw, not parsed. */
  private clientRaw = false;
  private clientEnded = false;
  private closed = false;
  private intercepting: { exchange: Exchange; head: RequestHead; route: RouteInfo; body: Buffer[]; size: number; interceptor: Interceptor } | null = null;
  /** Body bytes of a request the engine could not be reached for: dropped. */
  private discardBody = false;
  /** While a read is being parsed: the slices to forward upstream, written after it. */
  private outbox: Buffer[] | null = null;
  private readonly abort = new AbortController();
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly client: Socket, private readonly opts: ProxyOptions, private readonly onGone: () => void) {
    this.requestReader = new MessageReader({
      onHead: (raw, text) => this.onRequestHead(raw, text),
      onBody: (slice) => this.onRequestBody(slice),
      onEnd: () => this.onRequestEnd(),
    });
    client.on('data', (buf: Buffer) => this.onClientData(buf));
    client.on('end', () => this.onClientEnd());
    client.on('error', () => this.destroy());
    client.on('close', () => this.destroy());
    client.on('drain', () => this.upstream?.resume());
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.client.destroy();
    this.upstream?.destroy();
    for (const ex of this.pending.splice(0)) this.finish(ex, ex.answered ? undefined : 'the client closed the connection before the engine answered');
    if (this.reading?.entry.pending) this.finish(this.reading, 'the client closed the connection');
    for (const wake of this.idleWaiters.splice(0)) wake();
    this.onGone();
  }

  // ---- client -> upstream --------------------------------------------------------------

  private onClientData(buf: Buffer): void {
    if (this.clientRaw) {
      if (this.reading) this.reading.entry.bytesIn += buf.length;
      this.writeUpstream(buf);
      return;
    }
    // What the reader forwards is gathered, then written at once: usually it is the whole
    // read, which then leaves in one write instead of one per head and body slice.
    const outbox: Buffer[] = (this.outbox = []);
    try {
      this.requestReader.feed(buf);
    } catch (err) {
      this.outbox = null;
      if (err instanceof MalformedHttp) this.badRequest(err.message);
      else throw err;
      return;
    }
    this.outbox = null;
    let forwarded = 0;
    for (const part of outbox) forwarded += part.length;
    if (forwarded === buf.length) this.writeUpstream(buf);
    else for (const part of outbox) this.writeUpstream(part);
    if (this.clientRaw) {
      // The rest of this read, after a hijack request, is already stdin.
      const rest = this.requestReader.takeRest();
      if (rest) this.onClientData(rest);
    }
  }

  private onRequestHead(raw: Buffer, text: string): Framing {
    const head = parseRequestHead(text);
    const framing = requestFraming(head);
    const route = classifyRoute(head.method, head.target);
    const upgrade = isUpgrade(head);
    const exchange: Exchange = {
      entry: this.opts.logs.begin({
        time: Date.now(), method: head.method, path: redactTarget(head.target), apiVersion: route.apiVersion,
        route: route.route, image: route.image, status: null, pending: true, durationMs: 0, bytesIn: 0, bytesOut: 0,
        action: 'passed', upgraded: false, requestHeaders: redactHeaders(head.headers), responseHeaders: [],
      }),
      started: performance.now(), method: head.method, hijack: upgrade || route.hijack,
      answered: false, tunnel: false, informational: false,
    };
    this.reading = exchange;
    const interceptor = this.opts.interceptors?.().find((i) => i.wants(route, head));
    if (interceptor && !exchange.hijack) {
      this.intercepting = { exchange, head, route, body: [], size: 0, interceptor };
      return framing;
    }
    this.forward(exchange, raw);
    return framing;
  }

  private onRequestBody(slice: Buffer): void {
    const exchange = this.reading!;
    exchange.entry.bytesIn += slice.length;
    const ix = this.intercepting;
    if (ix) {
      ix.size += slice.length;
      if (ix.size > MAX_INTERCEPTED_BODY) throw new MalformedHttp('request body too large for this route');
      ix.body.push(Buffer.from(slice));
      return;
    }
    if (this.discardBody) return;
    this.writeUpstream(slice);
  }

  private onRequestEnd(): boolean {
    const exchange = this.reading;
    this.reading = null;
    this.discardBody = false;
    if (this.intercepting) {
      void this.runInterceptor();
      return false;
    }
    if (exchange?.hijack) {
      this.reading = exchange;
      this.clientRaw = true;
      return false;
    }
    return true;
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    if (this.clientRaw) {
      // Half-close: stdin EOF travels on while output keeps flowing back.
      this.upstream?.end();
      return;
    }
    if (this.pending.length === 0 && !this.intercepting) {
      this.endBoth();
      return;
    }
    // A FIN while a response is open means the client is gone (as the engine's own Go server
    // reads it): pass it on so the engine cancels the request, and stop any rewrite.
    this.upstream?.end();
    this.abort.abort();
  }

  private endBoth(): void {
    this.client.end();
    this.upstream?.end();
  }

  /** Sends a request head upstream and queues its exchange for the response. */
  private forward(exchange: Exchange, raw: Buffer, body?: Buffer): void {
    this.pending.push(exchange);
    this.ensureUpstream();
    this.writeUpstream(raw);
    if (body && body.length) this.writeUpstream(body);
  }

  private writeUpstream(buf: Buffer): void {
    if (this.outbox) {
      this.outbox.push(buf);
      return;
    }
    const upstream = this.upstream;
    if (!upstream || upstream.destroyed) return;
    if (!upstream.write(buf)) {
      this.client.pause();
      upstream.once('drain', () => this.client.resume());
    }
  }

  private ensureUpstream(): void {
    if (this.upstream && !this.upstream.destroyed && !this.upstream.readableEnded) return;
    const address = this.opts.upstream();
    this.upstreamAddress = formatUpstream(address);
    // The engine's bytes are read into a reused buffer (no allocation per read); a new one is
    // taken only when a write to the client could not finish and still holds the old one.
    let readBuffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);
    const upstream = connect({
      ...connectOptions(address),
      ...STREAM_OPTIONS,
      allowHalfOpen: true,
      onread: {
        buffer: () => readBuffer,
        callback: (n: number, buf: Uint8Array) => {
          this.onUpstreamData(reader, Buffer.from(buf.buffer, buf.byteOffset, n));
          if (this.client.writableLength > 0) readBuffer = Buffer.allocUnsafe(READ_BUFFER_SIZE);
          return true;
        },
      },
    });
    if (address.kind === 'tcp') upstream.setNoDelay(true);
    this.upstream = upstream;
    let connected = false;
    const reader = new MessageReader({
      onHead: (raw, text) => this.onResponseHead(raw, text),
      onBody: (slice) => this.onResponseBody(slice),
      onEnd: () => this.onResponseEnd(),
    });
    this.responseReader = reader;
    upstream.on('connect', () => {
      connected = true;
      this.opts.onUpstreamHealth?.(true);
    });

    upstream.on('end', () => {
      if (this.upstream !== upstream) return;
      this.onUpstreamEnd();
    });
    upstream.on('error', (err) => {
      if (this.upstream !== upstream) return;
      if (!connected) {
        const message = engineUnreachableMessage(this.upstreamAddress, err);
        this.opts.onUpstreamHealth?.(false, message);
        this.upstream = null;
        this.answerUnreachable(message);
      } else {
        this.failUpstream(`the connection to the Docker engine at ${this.upstreamAddress} failed (${err.message})`);
      }
    });
    upstream.on('close', () => {
      if (this.upstream === upstream) this.upstream = null;
      if (this.clientRaw || this.pending.some((ex) => ex.tunnel)) this.destroy();
    });
    upstream.on('drain', () => this.client.resume());
  }

  private onUpstreamData(reader: MessageReader, buf: Buffer): void {
    if (reader !== this.responseReader) return;
    // Responses are forwarded verbatim, in one write per read, before the reader looks at
    // them: what it then decides (a finished exchange, a client to end) comes after the bytes.
    if (!this.client.destroyed && !this.client.write(buf)) this.upstream?.pause();
    try {
      reader.feed(buf);
    } catch (err) {
      this.failUpstream(`the Docker engine at ${this.upstreamAddress} sent a malformed response (${(err as Error).message})`);
    }
  }

  /** The engine could not be reached: every waiting request gets a Docker-style 502. */
  private answerUnreachable(message: string): void {
    const waiting = this.pending.splice(0);
    if (this.reading && waiting.includes(this.reading)) this.discardBody = true;
    for (const ex of waiting) {
      this.writeError(ex, 502, message);
      this.finish(ex, message);
    }
    if (this.clientRaw) {
      this.client.end();
      this.clientRaw = false;
    }
    this.afterResponses();
  }

  /** The engine went away mid-conversation: a started response can only be cut off. */
  private failUpstream(message: string): void {
    const upstream = this.upstream;
    this.upstream = null;
    upstream?.destroy();
    const [first] = this.pending;
    if (first?.answered && !first.tunnel) {
      this.finish(first, message);
      this.pending.shift();
      this.destroy();
      return;
    }
    for (const ex of this.pending.splice(0)) {
      if (ex.tunnel) {
        this.finish(ex);
        this.client.end();
        continue;
      }
      this.writeError(ex, 502, message);
      this.finish(ex, message);
    }
    this.afterResponses();
  }

  private onUpstreamEnd(): void {
    if (this.clientEnded && !this.clientRaw) {
      for (const ex of this.pending.splice(0)) this.finish(ex, ex.answered ? undefined : 'the client closed the connection before the engine answered');
      this.destroy();
      return;
    }
    const [first] = this.pending;
    if (first?.tunnel) {
      // The engine ended a hijacked stream: pass the end on; the client may still be writing.
      this.pending.shift();
      this.finish(first);
      this.client.end();
      return;
    }
    if (first) {
      if (first.answered) {
        // An unframed response ends with the connection: that is its end.
        this.failUpstream(`the Docker engine at ${this.upstreamAddress} closed the connection mid-response`);
      } else {
        this.failUpstream(`the Docker engine at ${this.upstreamAddress} closed the connection before answering`);
      }
      return;
    }
    // Idle keep-alive connection closed by the engine: reconnect on the next request.
    this.upstream?.end();
    this.upstream = null;
  }

  // ---- upstream -> client --------------------------------------------------------------

  private onResponseHead(raw: Buffer, text: string): Framing {
    const head = scanResponseHead(text);
    const ex = this.pending[0];
    if (ex) ex.entry.bytesOut += raw.length;
    if (!ex) return responseFraming(head, 'GET');
    const framing = responseFraming(head, ex.method);
    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      ex.informational = true;
      return framing;
    }
    ex.answered = true;
    ex.entry.status = head.status;
    // Kept as text: the header list is only built when somebody opens the details.
    (ex.entry as StoredEntry).responseHead = text;
    if (ex.hijack && framing.kind === 'until-close') {
      ex.tunnel = true;
      ex.entry.upgraded = true;
    } else if (ex.hijack && this.clientRaw) {
      // Not hijacked after all (an error, or a detached exec): back to parsing requests.
      this.clientRaw = false;
      this.reading = null;
      queueMicrotask(() => this.requestReader.resume());
    }
    this.opts.logs.update(ex.entry);
    return framing;
  }

  private onResponseBody(slice: Buffer): void {
    const ex = this.pending[0];
    if (ex) ex.entry.bytesOut += slice.length;
  }

  private onResponseEnd(): boolean {
    const ex = this.pending[0];
    if (ex?.informational) {
      ex.informational = false;
      return true;
    }
    if (ex) {
      this.pending.shift();
      this.finish(ex);
    }
    this.afterResponses();
    return true;
  }

  private writeClient(buf: Buffer, ex: Exchange | undefined): void {
    if (ex) ex.entry.bytesOut += buf.length;
    if (this.client.destroyed) return;
    if (!this.client.write(buf)) this.upstream?.pause();
  }

  /** Called whenever responses complete: wakes interceptors, honours a client's FIN. */
  private afterResponses(): void {
    if (this.pending.length > 0) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
    if (this.clientEnded && !this.intercepting && !this.clientRaw) this.endBoth();
  }

  private finish(ex: Exchange, error?: string): void {
    if (!ex.entry.pending) return;
    ex.entry.durationMs = Math.round((performance.now() - ex.started) * 1000) / 1000;
    if (error) {
      ex.entry.error ??= error;
      if (ex.entry.action === 'passed') ex.entry.action = 'failed';
    }
    this.opts.logs.end(ex.entry);
  }

  private writeError(ex: Exchange, status: number, message: string): void {
    const body = JSON.stringify({ message }) + '\n';
    const head = `HTTP/1.1 ${status} ${status === 502 ? 'Bad Gateway' : status === 400 ? 'Bad Request' : 'Error'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      (this.discardBody ? 'Connection: close\r\n' : '') + '\r\n';
    ex.entry.status = status;
    ex.answered = true;
    this.writeClient(Buffer.from(head + body), ex);
    if (this.discardBody) this.client.end();
  }

  private badRequest(reason: string): void {
    const exchange = this.reading ?? {
      entry: this.opts.logs.begin({
        time: Date.now(), method: '-', path: '-', route: 'other', status: null, pending: true, durationMs: 0,
        bytesIn: 0, bytesOut: 0, action: 'failed', upgraded: false, requestHeaders: [], responseHeaders: [],
      }),
      started: performance.now(), method: '-', hijack: false, answered: false, tunnel: false, informational: false,
    };
    const message = `malformed HTTP request: ${reason}`;
    if (this.pending.length > 0 && this.pending[this.pending.length - 1] !== exchange) {
      // Responses to earlier requests are still flowing: a 400 cannot be slotted in cleanly.
      this.finish(exchange, message);
      this.destroy();
      return;
    }
    const idx = this.pending.indexOf(exchange);
    if (idx !== -1) this.pending.splice(idx, 1);
    this.upstream?.destroy();
    this.upstream = null;
    const body = JSON.stringify({ message }) + '\n';
    exchange.entry.status = 400;
    this.client.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    exchange.entry.bytesOut += body.length;
    this.finish(exchange, message);
    this.closed = true;
    this.abort.abort();
    this.onGone();
  }

  // ---- interceptors --------------------------------------------------------------------

  private waitIdle(): Promise<void> {
    if (this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async runInterceptor(): Promise<void> {
    const ix = this.intercepting!;
    const { exchange } = ix;
    await this.waitIdle();
    if (this.closed) return;
    const respond = new ClientResponder(this.client, exchange.entry);
    try {
      const outcome = await ix.interceptor.handle(
        { head: ix.head, route: ix.route, body: Buffer.concat(ix.body), entry: exchange.entry },
        { engine: this.opts.engine, respond, signal: this.abort.signal, updated: () => this.opts.logs.update(exchange.entry) },
      );
      if (this.closed) {
        this.finish(exchange, exchange.entry.error ?? 'the client closed the connection');
        return;
      }
      if (outcome.kind === 'forward') {
        this.intercepting = null;
        exchange.entry.forwardedPath = redactTarget(outcome.head.target);
        this.forward(exchange, serializeRequestHead(outcome.head, outcome.body), outcome.body);
      } else {
        await respond.finished;
        this.finish(exchange);
      }
    } catch (err) {
      const message = (err as Error).message;
      if (!respond.started && !this.closed) {
        await respond.json((err as { status?: number }).status ?? 500, { message });
        this.finish(exchange, message);
      } else {
        this.finish(exchange, message);
        this.destroy();
        return;
      }
    }
    this.intercepting = null;
    if (this.clientEnded && this.pending.length === 0) {
      this.endBoth();
      return;
    }
    this.requestReader.resume();
  }
}

/** A request head as bytes; a body, if given, replaces the original with a Content-Length. */
export function serializeRequestHead(head: RequestHead, body?: Buffer): Buffer {
  let text = `${head.method} ${head.target} ${head.version}\r\n`;
  for (const [k, v] of head.headers) {
    const lower = k.toLowerCase();
    if (body !== undefined && (lower === 'content-length' || lower === 'transfer-encoding')) continue;
    text += `${k}: ${v}\r\n`;
  }
  if (body !== undefined) text += `Content-Length: ${body.length}\r\n`;
  return Buffer.from(text + '\r\n', 'latin1');
}
