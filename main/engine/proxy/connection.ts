// One client connection of the proxy, as an explicit state machine. The client is paired with
// its own engine connection and bytes flow through as they are read; requests are split
// exactly where Go's server splits them, so the log and the interceptors see the requests the
// engine sees. Every event enters through one error boundary: whatever fails ends this
// connection (with a Docker-style error when no response has started), never the process.
// Never buffers a passed-through body; every buffer it keeps has a limit.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LogDetail } from '#shared/log';
import { MalformedHttp, MessageReader, isUpgrade, responseFraming, scanResponseHead, type Framing } from './http-stream';
import { RequestRejected, type RequestHead } from './request-head';
import { MalformedBody, RequestReader, dechunk } from './request-reader';
import type { StoredEntry } from '../log/log-store';
import { redactHeaders, redactTarget } from '../log/redact';
import { classifyRoute, type RouteInfo } from './routes';
import { connectOptions, formatUpstream } from '../upstream/upstream';
import { engineUnreachableMessage } from '../upstream/engine-client';
import { ClientResponder } from './client-responder';
import { CONTINUE, dockerError, type ResponseShape } from './docker-error';
import type { InterceptOutcome, Interceptor, ProxyOptions } from './proxy';
import { SocketReadBuffers, type ReadBufferPool } from './read-buffer';
import { withOwnReads } from './own-reads';

/**
 * head: reading request heads (idle or mid-head); body: forwarding a request body;
 * intercepting: an intercepted request's body is gathered, then its interceptor runs (no
 * further request is read meanwhile); raw: a request the engine may hijack was sent, what the
 * client sends next waits for the engine's answer; tunnel: the engine hijacked the connection,
 * bytes flow both ways unparsed; closing: no further request is read, the answers still owed
 * are written, then the connection ends; closed: both sockets are gone.
 */
export type ConnectionState = 'head' | 'body' | 'intercepting' | 'raw' | 'tunnel' | 'closing' | 'closed';

const NEXT: Record<ConnectionState, readonly ConnectionState[]> = {
  head: ['body', 'intercepting', 'raw', 'closing', 'closed'],
  body: ['head', 'raw', 'closing', 'closed'],
  intercepting: ['head', 'closing', 'closed'],
  raw: ['tunnel', 'head', 'closing', 'closed'],
  tunnel: ['closed'],
  closing: ['closed'],
  closed: [],
};

/** Bodies of intercepted requests are small JSON (container create, pulls); larger ones get 413. */
export const MAX_INTERCEPTED_BODY = 8 << 20;
/** What a paused request reader may hold before the client socket is paused too. */
const MAX_HELD_BYTES = 64 * 1024;
/**
 * write() returns false for any chunk over the high-water mark even when the kernel took it
 * at once; with the default 16 KiB every 64 KiB read of a stream would pause and resume the
 * reading side. Backpressure starts once this much is really queued.
 */
export const HIGH_WATER_MARK = 512 * 1024;
/** A stream option net.connect passes on to the socket; its types leave it out. */
const STREAM_OPTIONS = { highWaterMark: HIGH_WATER_MARK };
/** Written behind queued writes to learn when they have completed. */
const NOTHING = Buffer.alloc(0);


interface Exchange {
  entry: LogDetail;
  started: number;
  method: string;
  /** The engine may take the connection over after this request (attach, exec, upgrade). */
  hijack: boolean;
  shape: ResponseShape;
  /** A final (not 1xx) response head was seen or written. */
  answered: boolean;
  /** Inside a 1xx response. */
  informational: boolean;
  /** The response runs until the engine closes. */
  untilClose: boolean;
  /** The engine ends the connection after this response. */
  closeAfter: boolean;
}

interface Interception {
  exchange: Exchange;
  head: RequestHead;
  route: RouteInfo;
  interceptor: Interceptor;
  body: Buffer[];
  size: number;
  /** The body is complete. */
  complete: boolean;
  /** Set when the interceptor starts. */
  responder: ClientResponder | null;
}

export class ProxyConnection {
  private state: ConnectionState = 'head';
  private upstream: Socket | null = null;
  private upstreamAddress = '';
  private responseReader: MessageReader | null = null;
  private readonly requests: RequestReader;
  /** Requests forwarded to the engine whose responses are not finished, oldest first. */
  private readonly pending: Exchange[] = [];
  /** The request whose body is being read from the client. */
  private reading: Exchange | null = null;
  private interception: Interception | null = null;
  /** What waits for every forwarded response to finish (an interceptor, a 100, an error). */
  private idleActions: (() => void)[] = [];
  private clientEnded = false;
  /** Why the client socket is paused; it reads again when there is no reason left. */
  private readonly holds = new Set<'engine' | 'held'>();
  /** While a read is being split: the slices to forward, written after it. */
  private outbox: Buffer[] | null = null;
  /** The array the outbox reuses, emptied after each read: a fresh one per read was garbage on every request. */
  private readonly outboxParts: Buffer[] = [];
  /** Made when an interceptor first runs: most connections never need one. */
  private abort: AbortController | null = null;
  private closeGracefully = false;
  private closeReason = 'the client closed the connection';

  private readonly client: Socket;
  /** What the client socket reads into, and its writes to the engine that hold those bytes (read-buffer.ts). */
  private clientReads: SocketReadBuffers;

  /** `accepted` must be paused (the server accepts with pauseOnConnect): reading starts here. */
  constructor(accepted: Socket, private readonly opts: ProxyOptions, private readonly onGone: () => void, private readonly readBuffers: ReadBufferPool) {
    this.clientReads = new SocketReadBuffers(readBuffers, (done) => afterQueuedWrites(this.upstream, done));
    this.requests = new RequestReader({
      onHead: (head, raw) => this.onRequestHead(head, raw),
      onBody: (slice) => this.onRequestBody(slice),
      onEnd: () => this.onRequestEnd(),
    });
    const client = (this.client = withOwnReads(accepted, {
      buffer: () => this.clientReads.current,
      callback: (n, buf) => this.onClientRead(n, buf),
    }, STREAM_OPTIONS));
    client.on('end', () => this.guard(() => this.onClientEnd()));
    client.on('error', () => this.guard(() => this.onClientGone()));
    client.on('close', () => {
      this.clientReads.close((this.upstream?.writableLength ?? 0) > 0);
      this.guard(() => this.onClientGone());
    });
    client.on('drain', () => this.upstream?.resume());
  }

  get currentState(): ConnectionState {
    return this.state;
  }

  destroy(): void {
    this.guard(() => this.closeNow(false, 'the proxy is shutting down'));
  }

  // ---- the error boundary and the transitions -----------------------------------------

  /** Runs an event handler; whatever it throws ends this connection, never the process. */
  private guard(handler: () => void): void {
    try {
      handler();
    } catch (err) {
      this.fail(err);
    }
  }

  private defer(handler: () => void): void {
    queueMicrotask(() => this.guard(handler));
  }

  private fail(err: unknown): void {
    if (this.state === 'closed') return;
    try {
      if (err instanceof RequestRejected) return this.reject(err.status, err.message);
      if (err instanceof MalformedBody) return this.badBody(err.message);
      const message = `the proxy failed on this connection: ${err instanceof Error ? err.message : String(err)}`;
      const ex = this.interception?.exchange ?? this.reading ?? this.pending[0];
      if (ex) this.finish(ex, message);
      if (!this.responseStarted()) {
        this.writeClient(dockerError(500, message, { http10: ex?.shape.http10 ?? false, head: ex?.shape.head ?? false, close: true }));
        this.closeNow(true, message);
      } else this.closeNow(false, message);
    } catch {
      // The boundary itself failed: nothing can be said to the client any more.
      this.state = 'closed';
      this.client.destroy();
      this.upstream?.destroy();
      this.onGone();
    }
  }

  /** True while a response is partly written: nothing else may be written before it ends. */
  private responseStarted(): boolean {
    return (this.pending[0]?.answered ?? false) || (this.interception?.responder?.started ?? false) || this.state === 'tunnel';
  }

  /** Every state change goes through here; what a state needs when it begins is done here. */
  private enter(next: ConnectionState): void {
    if (next === this.state) return;
    if (!NEXT[this.state].includes(next)) throw new Error(`a connection cannot go from ${this.state} to ${next}`);
    const previous = this.state;
    this.state = next;
    switch (next) {
      case 'head':
        // Back from an interception or a request that was not hijacked: read what waited.
        if (previous === 'intercepting' || previous === 'raw') this.defer(() => this.resumeRequests());
        break;
      case 'tunnel': {
        const held = this.requests.takeHeld();
        if (held) this.writeUpstream(held);
        this.release('held');
        if (this.clientEnded) this.upstream?.end();
        break;
      }
      case 'closing':
        // Whatever the client sends now is read and dropped, so its FIN is seen.
        this.requests.takeHeld();
        this.release('held');
        this.release('engine');
        this.closeWhenDone();
        break;
      case 'closed':
        this.teardown();
        break;
    }
  }

  private closeNow(graceful: boolean, reason: string): void {
    if (this.state === 'closed') return;
    this.closeGracefully = graceful;
    this.closeReason = reason;
    this.enter('closed');
  }

  /** In closing: once nothing is owed to the client any more, the connection ends. */
  private closeWhenDone(): void {
    if (this.state === 'closing' && this.pending.length === 0 && !this.interception && this.idleActions.length === 0) {
      this.closeNow(true, this.closeReason);
    }
  }

  private teardown(): void {
    this.abort?.abort();
    this.idleActions = [];
    for (const ex of this.pending.splice(0)) this.finish(ex, ex.answered ? undefined : `${this.closeReason} before the engine answered`);
    if (this.reading?.entry.pending && this.reading !== this.interception?.exchange) this.finish(this.reading, this.closeReason);
    const ix = this.interception;
    if (ix) {
      // A running interceptor finishes its own entry when it returns; one still gathering is done.
      if (ix.responder) ix.responder.abandon();
      else this.finish(ix.exchange, ix.complete ? this.closeReason : `${this.closeReason} before sending the whole request body`);
    }
    this.upstream?.destroy();
    this.upstream = null;
    if (this.closeGracefully && !this.client.destroyed) {
      // Written answers still reach the client; then the socket goes, even if the client never closes.
      this.client.end(() => this.client.destroy());
    } else this.client.destroy();
    this.onGone();
  }

  private hold(reason: 'engine' | 'held'): void {
    if (this.holds.size === 0) this.client.pause();
    this.holds.add(reason);
  }

  private release(reason: 'engine' | 'held'): void {
    if (!this.holds.delete(reason) || this.holds.size > 0 || this.state === 'closed') return;
    this.client.resume();
  }

  private whenIdle(action: () => void): void {
    this.idleActions.push(action);
    if (this.pending.length === 0) this.defer(() => this.runIdleActions());
  }

  private runIdleActions(): void {
    while (this.pending.length === 0 && this.idleActions.length > 0 && this.state !== 'closed') this.idleActions.shift()!();
    this.closeWhenDone();
  }

  // ---- client -> engine ---------------------------------------------------------------

  private onClientRead(n: number, buf: Buffer): void {
    // The error boundary of guard(), without a closure per read.
    try {
      this.onClientData(n === buf.length ? buf : buf.subarray(0, n));
    } catch (err) {
      this.fail(err);
    }
    // Reused only while nothing still points into it: a queued engine write, held requests.
    // (Bytes in a buffer of Node's own, when own-reads fell back to 'data' events, need nothing.)
    const reads = this.clientReads;
    if (buf.buffer === reads.current.buffer) reads.afterRead(n, (this.upstream?.writableLength ?? 0) > 0, this.requests.heldBytes > 0);
  }

  private onClientData(buf: Buffer): void {
    switch (this.state) {
      case 'tunnel':
        if (this.pending[0]) this.pending[0].entry.bytesIn += buf.length;
        this.writeUpstream(buf);
        return;
      case 'closing':
      case 'closed':
        return;
      default:
        this.readRequests(buf);
    }
  }

  private readRequests(buf: Buffer): void {
    // What the reader forwards is gathered, then written at once: usually it is the whole
    // read, which then leaves in one write instead of one per head and body slice.
    const outbox = (this.outbox = this.outboxParts);
    let failure: unknown = null;
    try {
      this.requests.feed(buf);
    } catch (err) {
      failure = err;
    }
    this.outbox = null;
    let forwarded = 0;
    for (const part of outbox) forwarded += part.length;
    if (forwarded === buf.length && !this.requests.replayed) this.writeUpstream(buf);
    else for (const part of outbox) this.writeUpstream(part);
    emptyOutbox(outbox);
    if (failure) throw failure;
    if (this.requests.heldBytes > MAX_HELD_BYTES) this.hold('held');
  }

  private resumeRequests(): void {
    if (this.state !== 'head') return;
    this.release('held');
    const outbox = (this.outbox = this.outboxParts);
    let failure: unknown = null;
    try {
      this.requests.resume();
    } catch (err) {
      failure = err;
    }
    this.outbox = null;
    for (const part of outbox) this.writeUpstream(part);
    emptyOutbox(outbox);
    if (failure) throw failure;
    // A FIN that came while the requests waited is handled where reading stopped now.
    if (this.clientEnded) this.onClientEnd();
  }

  private onRequestHead(head: RequestHead, raw: Buffer): void {
    const route = classifyRoute(head.method, head.originTarget);
    const exchange: Exchange = {
      entry: this.opts.logs.begin({
        time: Date.now(), method: head.method, path: redactTarget(head.originTarget), apiVersion: route.apiVersion,
        route: route.route, image: route.image, status: null, pending: true, durationMs: 0, bytesIn: 0, bytesOut: 0,
        action: 'passed', upgraded: false, requestHeaders: redactHeaders(head.headers), responseHeaders: [], seq: 0,
      }),
      started: performance.now(), method: head.method, hijack: isUpgrade(head) || route.hijack,
      shape: { http10: head.http10, head: head.method === 'HEAD', close: head.close },
      answered: false, informational: false, untilClose: false, closeAfter: head.close,
    };
    this.reading = exchange;
    const interceptor = exchange.hijack ? undefined : this.interceptorFor(route, head);
    if (interceptor) {
      this.interception = { exchange, head, route, interceptor, body: [], size: 0, complete: false, responder: null };
      this.enter('intercepting');
      // Go answers 100 Continue when the handler first reads the body, that is, in turn.
      if (head.expectContinue) this.whenIdle(() => this.writeClient(CONTINUE));
      return;
    }
    this.forward(exchange, raw);
    if (head.body.kind !== 'none') this.enter('body');
  }

  private interceptorFor(route: RouteInfo, head: RequestHead): Interceptor | undefined {
    const interceptors = this.opts.interceptors?.();
    if (interceptors) for (const interceptor of interceptors) if (interceptor.wants(route, head)) return interceptor;
    return undefined;
  }

  private onRequestBody(slice: Buffer): void {
    const exchange = this.reading!;
    exchange.entry.bytesIn += slice.length;
    const ix = this.interception;
    if (ix && ix.exchange === exchange) {
      ix.size += slice.length;
      if (ix.size > MAX_INTERCEPTED_BODY) throw new RequestRejected(413, `the request body is larger than the ${MAX_INTERCEPTED_BODY >> 20} MiB this route accepts`);
      ix.body.push(Buffer.from(slice));
      return;
    }
    this.writeUpstream(slice);
  }

  /** A request is complete; returns false to stop reading further requests for now. */
  private onRequestEnd(): boolean {
    const exchange = this.reading!;
    this.reading = null;
    if (this.interception?.exchange === exchange) {
      this.interception.complete = true;
      this.whenIdle(() => this.runInterception());
      return false;
    }
    if (exchange.hijack) {
      this.enter('raw');
      return false;
    }
    if (exchange.shape.close) {
      // Go reads no further request after this one.
      this.enter('closing');
      return false;
    }
    this.enter('head');
    return true;
  }

  private onClientEnd(): void {
    this.clientEnded = true;
    switch (this.state) {
      case 'tunnel':
        // Half-close: stdin's end travels on while output keeps flowing back.
        this.upstream?.end();
        return;
      case 'raw':
        // Passed on once the engine's answer says what the stream is.
        return;
      case 'intercepting':
        if (!this.interception?.complete) {
          // The engine's handler would fail to read this body and say so: so does the proxy
          // (to a client that is really gone, the answer simply finds nobody).
          this.reject(400, 'the client closed the connection before sending the whole request body');
          return;
        }
        // Go cancels a request's context when its client goes away: so do interceptors.
        this.interceptorSignal();
        this.abort!.abort();
        return;
      case 'head':
        this.requests.endOfInput();
        if (!this.requests.midRequest && this.pending.length === 0 && this.idleActions.length === 0) {
          this.closeNow(true, 'the client closed the connection');
          return;
        }
        this.upstream?.end();
        this.enter('closing');
        return;
      case 'body':
        // The engine sees the body end early, as it would without the proxy.
        this.upstream?.end();
        this.enter('closing');
        return;
      case 'closing':
        this.upstream?.end();
        this.closeWhenDone();
        return;
    }
  }

  private onClientGone(): void {
    this.closeNow(false, 'the client closed the connection');
  }

  /** A request the proxy refuses, as Go's server would: answered in turn, then the connection ends. */
  private reject(status: number, reason: string): void {
    const ix = this.interception;
    const exchange = ix?.exchange === this.reading && ix ? ix.exchange : this.rejectedExchange();
    if (ix) {
      this.interception = null;
      this.reading = null;
    }
    const message = status === 400 ? `malformed HTTP request: ${reason}` : reason;
    exchange.entry.status = status;
    this.finish(exchange, message);
    this.whenIdle(() => this.writeClient(dockerError(status, message, { ...exchange.shape, close: true }), exchange));
    this.enter('closing');
  }

  private noteFailure(exchange: Exchange, message: string): void {
    exchange.entry.error ??= message;
    exchange.entry.action = 'failed';
  }

  /** A log entry for bytes that never made a request. */
  private rejectedExchange(): Exchange {
    return {
      entry: this.opts.logs.begin({
        time: Date.now(), method: '-', path: '-', route: 'other', status: null, pending: true, durationMs: 0,
        bytesIn: 0, bytesOut: 0, action: 'failed', upgraded: false, requestHeaders: [], responseHeaders: [], seq: 0,
      }),
      started: performance.now(), method: '-', hijack: false, shape: { http10: false, head: false, close: true },
      answered: false, informational: false, untilClose: false, closeAfter: true,
    };
  }

  /** A body Go's reader fails on: the engine gets what came before the fault, then the end of input. */
  private badBody(reason: string): void {
    const message = `malformed request body: ${reason}`;
    const exchange = this.reading;
    if (exchange && this.interception?.exchange === exchange) return this.reject(400, reason);
    if (exchange) this.noteFailure(exchange, message);
    this.reading = null;
    this.upstream?.end();
    this.enter('closing');
  }

  /** Sends a request head (and a body the proxy holds) upstream and queues its exchange. */
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
    if (!upstream || upstream.destroyed || upstream.writableEnded) return;
    if (!upstream.write(buf)) this.hold('engine');
  }

  private ensureUpstream(): void {
    if (this.upstream && !this.upstream.destroyed && !this.upstream.readableEnded && !this.upstream.writableEnded) return;
    this.upstream?.destroy();
    const address = this.opts.upstream();
    this.upstreamAddress = formatUpstream(address);
    const reader = new MessageReader({
      onHead: (text, size) => this.onResponseHead(text, size),
      onBody: (_buf, start, end) => this.onResponseBody(end - start),
      onEnd: () => this.onResponseEnd(),
    });
    this.responseReader = reader;
    const reads = new SocketReadBuffers(this.readBuffers, (done) => afterQueuedWrites(this.client, done));
    const upstream = connect({
      ...connectOptions(address),
      ...STREAM_OPTIONS,
      allowHalfOpen: true,
      // Node asks for the next read's buffer right after this callback, so a buffer that a
      // queued client write still holds is never read into again (read-buffer.ts).
      onread: {
        buffer: () => reads.current,
        callback: (n: number, buf: Uint8Array) => {
          // The error boundary of guard(), without a closure per read.
          try {
            this.onUpstreamData(upstream, reader, Buffer.from(buf.buffer, buf.byteOffset, n));
          } catch (err) {
            this.fail(err);
          }
          reads.afterRead(n, this.client.writableLength > 0, reader.pausedAtEnd);
          return true;
        },
      },
    });
    if (address.kind === 'tcp') upstream.setNoDelay(true);
    this.upstream = upstream;
    let connected = false;
    upstream.on('connect', () => {
      connected = true;
      this.opts.onUpstreamHealth?.(true);
    });
    upstream.on('end', () => this.guard(() => {
      if (this.upstream === upstream) this.onUpstreamEnd();
    }));
    upstream.on('error', (err) => this.guard(() => {
      if (this.upstream !== upstream) return;
      if (connected) return this.upstreamFailed(`the connection to the Docker engine at ${this.upstreamAddress} failed (${err.message})`);
      const message = engineUnreachableMessage(this.upstreamAddress, err);
      this.opts.onUpstreamHealth?.(false, message);
      this.engineUnreachable(message);
    }));
    upstream.on('close', () => this.guard(() => {
      reads.close(this.client.writableLength > 0);
      if (this.upstream !== upstream) return;
      this.upstream = null;
      if (this.state === 'tunnel' || this.state === 'raw') this.upstreamFailed(`the Docker engine at ${this.upstreamAddress} closed the connection`);
    }));
    upstream.on('drain', () => this.release('engine'));
  }

  // ---- engine -> client ---------------------------------------------------------------

  private onUpstreamData(upstream: Socket, reader: MessageReader, buf: Buffer): void {
    if (upstream !== this.upstream || this.state === 'closed') return;
    const first = this.pending[0];
    if (!first) {
      // Nothing was asked: bytes from the engine now could only corrupt the client's stream.
      this.dropUpstream();
      return;
    }
    if (this.state === 'tunnel') {
      first.entry.bytesOut += buf.length;
      this.writeClient(buf);
      return;
    }
    // Responses are forwarded verbatim, in one write per read, before the reader looks at
    // them: what it then decides (a finished exchange, a client to end) comes after the bytes.
    this.writeClient(buf);
    try {
      reader.feed(buf);
    } catch (err) {
      if (!(err instanceof MalformedHttp)) throw err;
      this.upstreamFailed(`the Docker engine at ${this.upstreamAddress} sent a malformed response (${err.message})`);
    }
  }

  private onResponseHead(text: string, size: number): Framing {
    const head = scanResponseHead(text);
    const ex = this.pending[0]!;
    ex.entry.bytesOut += size;
    const framing = responseFraming(head, ex.method);
    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      ex.informational = true;
      return framing;
    }
    ex.answered = true;
    ex.untilClose = framing.kind === 'until-close';
    ex.entry.status = head.status;
    // Kept as text: the header list is only built when somebody opens the details.
    (ex.entry as StoredEntry).responseHead = text;
    // The engine ends the connection after `Connection: close`, and after a 1.0 response not kept alive.
    const connection = head.framing.connection;
    const http10 = text.startsWith('HTTP/1.0');
    if (connection === undefined ? http10 : /\bclose\b/i.test(connection) || (http10 && !/keep-alive/i.test(connection))) ex.closeAfter = true;
    if (ex.hijack && ex.untilClose) {
      ex.entry.upgraded = true;
      this.enter('tunnel');
    } else if (ex.hijack && this.state === 'raw') {
      // Not hijacked after all (an error, or a detached exec): back to reading requests.
      this.enter('head');
    }
    this.opts.logs.update(ex.entry);
    return framing;
  }

  private onResponseBody(bytes: number): void {
    const ex = this.pending[0];
    if (ex) ex.entry.bytesOut += bytes;
  }

  private onResponseEnd(): boolean {
    const ex = this.pending[0];
    if (!ex) return true;
    if (ex.informational) {
      ex.informational = false;
      return true;
    }
    this.pending.shift();
    this.finish(ex);
    if (ex.closeAfter) {
      // The engine reads nothing more on this connection: neither does the proxy.
      this.closeNow(true, 'the Docker engine closed the connection');
      return false;
    }
    this.afterResponse();
    return true;
  }

  private afterResponse(): void {
    if (this.pending.length > 0) return;
    this.runIdleActions();
  }

  private onUpstreamEnd(): void {
    const first = this.pending[0];
    if (this.state === 'tunnel') {
      // The engine ended a hijacked stream: pass the end on; the client may still be writing.
      this.client.end();
      return;
    }
    if (first?.answered && first.untilClose) {
      // A response without length ends with the connection: that is its end.
      this.pending.shift();
      this.finish(first);
      this.closeNow(true, 'the Docker engine closed the connection');
      return;
    }
    if (first) {
      this.upstreamFailed(`the Docker engine at ${this.upstreamAddress} closed the connection ${first.answered ? 'mid-response' : 'before answering'}`);
      return;
    }
    // An idle keep-alive connection closed by the engine: reconnect on the next request.
    this.dropUpstream();
  }

  private dropUpstream(): void {
    this.upstream?.destroy();
    this.upstream = null;
  }

  /** The engine went away mid-conversation: a started response can only be cut off. */
  private upstreamFailed(message: string): void {
    this.dropUpstream();
    const first = this.pending[0];
    if (this.state === 'tunnel' || first?.answered) {
      if (first) this.finish(this.pending.shift()!, first.untilClose && this.state === 'tunnel' ? undefined : message);
      this.closeNow(this.state === 'tunnel', message);
      return;
    }
    this.answerWaiting(502, message);
  }

  /** The engine could not be reached: every waiting request gets a Docker-style 502. */
  private engineUnreachable(message: string): void {
    this.dropUpstream();
    this.answerWaiting(502, message);
  }

  private answerWaiting(status: number, message: string): void {
    // A body still coming, or a stream waiting to be hijacked, cannot go anywhere: end after.
    const ending = this.state === 'body' || this.state === 'raw' || this.state === 'closing';
    for (const ex of this.pending.splice(0)) {
      this.writeClient(dockerError(status, message, { ...ex.shape, close: ending || ex.shape.close }), ex);
      ex.answered = true;
      ex.entry.status = status;
      this.finish(ex, message);
    }
    if (this.reading && this.state === 'body') this.reading = null;
    if (ending) {
      this.closeNow(true, message);
      return;
    }
    this.afterResponse();
  }

  private writeClient(buf: Buffer, ex?: Exchange): void {
    if (ex) ex.entry.bytesOut += buf.length;
    if (this.client.destroyed) return;
    if (!this.client.write(buf)) this.upstream?.pause();
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

  // ---- interceptors -------------------------------------------------------------------

  /** Aborted when the client goes away (and, like Go's request context, stays aborted). */
  private interceptorSignal(): AbortSignal {
    this.abort ??= new AbortController();
    if (this.clientEnded || this.state === 'closed') this.abort.abort();
    return this.abort.signal;
  }

  private runInterception(): void {
    const ix = this.interception;
    if (!ix || this.state === 'closed') return;
    const { exchange } = ix;
    const responder = (ix.responder = new ClientResponder(this.client, exchange.entry, exchange.shape));
    const outcome = ix.interceptor.handle(
      { head: ix.head, route: ix.route, body: ix.head.body.kind === 'chunked' ? dechunk(Buffer.concat(ix.body)) : Buffer.concat(ix.body), entry: exchange.entry },
      { engine: this.opts.engine, respond: responder, signal: this.interceptorSignal(), updated: () => this.opts.logs.update(exchange.entry) },
    );
    ix.body = [];
    outcome.then(
      (result) => this.guard(() => this.interceptionDone(ix, result)),
      (err: unknown) => this.guard(() => this.interceptionFailed(ix, err)),
    );
  }

  private interceptionDone(ix: Interception, outcome: InterceptOutcome): void {
    const { exchange } = ix;
    if (this.state === 'closed') {
      this.finish(exchange, exchange.entry.error ?? this.closeReason);
      return;
    }
    if (outcome.kind === 'forward') {
      this.interception = null;
      exchange.entry.forwardedPath = redactTarget(outcome.head.target);
      this.forward(exchange, serializeRequestHead(outcome.head, outcome.body), outcome.body);
      this.continueAfter(exchange);
      return;
    }
    ix.responder!.finished.then(() => this.guard(() => {
      this.finish(exchange);
      this.interception = null;
      this.continueAfter(exchange);
    }));
  }

  private interceptionFailed(ix: Interception, err: unknown): void {
    const { exchange } = ix;
    const message = err instanceof Error ? err.message : String(err);
    if (this.state === 'closed' || ix.responder!.started) {
      this.finish(exchange, message);
      this.closeNow(false, message);
      return;
    }
    const status = (err as { status?: unknown }).status;
    void ix.responder!.json(typeof status === 'number' ? status : 500, { message });
    this.finish(exchange, message);
    this.interception = null;
    this.continueAfter(exchange);
  }

  /** After an interception: the next request, or the end the request or the client asked for. */
  private continueAfter(exchange: Exchange): void {
    if (exchange.shape.close || (exchange.shape.http10 && exchange.entry.responseHeaders.every(([k]) => k !== 'Content-Length'))) {
      this.enter('closing');
      return;
    }
    this.enter('head');
  }
}

/** Empties the reused outbox, keeping its storage (setting its length to 0 would free it, and is slower). */
function emptyOutbox(outbox: Buffer[]): void {
  while (outbox.length > 0) outbox.pop();
}

/**
 * Calls `done(true)` once the writes `writer` has queued so far have completed: an empty write
 * behind them completes after them (read-buffer.ts's WhenWritten).
 */
function afterQueuedWrites(writer: Socket | null, done: (freed: boolean) => void): void {
  // A socket that is gone was destroyed: its descriptor closed at once, its writes touch nothing more.
  if (!writer || writer.destroyed) done(true);
  // An ended socket would fail on a write: what its queue holds is left to the garbage collector.
  else if (writer.writableEnded) done(false);
  else writer.write(NOTHING, (err) => done(!err));
}

/** A request head as bytes; a body, if given, replaces the original with a Content-Length. */
export function serializeRequestHead(head: RequestHead, body?: Buffer): Buffer {
  let text = `${head.method} ${head.target} ${head.version}\r\n`;
  for (const [k, v] of head.headers) {
    const lower = k.toLowerCase();
    // The proxy holds the body: framing is its own, and a 100 Continue was already answered.
    if (body !== undefined && (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'expect')) continue;
    text += `${k}: ${v}\r\n`;
  }
  if (body !== undefined) text += `Content-Length: ${body.length}\r\n`;
  return Buffer.from(text + '\r\n', 'latin1');
}
