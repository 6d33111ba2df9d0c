// The proxy's own HTTP client to the Docker engine, for the few requests it makes itself
// (the pull rewrite's candidate pulls, tags and untags, health checks). Keep-alive pooled,
// and a pooled connection left idle is closed. Client requests never travel this way: they
// are piped byte for byte by the proxy. Every request has an inactivity timeout: an engine
// that stops talking fails the request.
import { Agent, request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { connectOptions, formatUpstream, type UpstreamAddress } from './upstream';

export class EngineUnreachable extends Error {
  constructor(readonly address: string, override readonly cause: Error) {
    super(engineUnreachableMessage(address, cause));
  }
}

export function engineUnreachableMessage(address: string, cause: Error): string {
  const code = (cause as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such socket' : code === 'ECONNREFUSED' ? 'connection refused' : code === 'EACCES' ? 'permission denied' : cause.message;
  return `cannot reach the Docker engine at ${address} (${why}): is Docker running?`;
}

/** The engine went quiet for longer than a request allows. */
export class EngineTimeout extends Error {
  constructor(readonly address: string, readonly ms: number) {
    super(`the Docker engine at ${address} sent nothing for ${ms / 1000} s: is it overloaded or stuck?`);
  }
}

/** A streamed request (a pull's progress) may be quiet while a registry is slow, but not for this long. */
export const STREAM_TIMEOUT_MS = 5 * 60_000;
/** Small control calls (tag, untag, version) answer at once. */
export const CALL_TIMEOUT_MS = 30_000;
/**
 * A pooled connection idle this long is closed. The proxy's own requests come in bursts (a
 * pull's candidates, then tags); without a limit the pool kept one connection per request
 * that ever ran at once, each an FD here and a goroutine in the engine, for good (the soak
 * saw FDs wander with the last burst). Reconnecting to the engine costs far less than a pull.
 */
export const POOL_IDLE_MS = 4_000;

export interface EngineRequestOptions {
  headers?: OutgoingHttpHeaders;
  body?: Buffer | string;
  signal?: AbortSignal;
  /** Longest silence allowed from the engine, from the request until the response's end. */
  timeoutMs?: number;
}

export interface EngineResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: IncomingMessage;
}

export class EngineClient {
  private agent: Agent;

  constructor(private readonly upstream: () => UpstreamAddress, private readonly poolIdleMs = POOL_IDLE_MS) {
    this.agent = this.makeAgent();
  }

  get address(): string {
    return formatUpstream(this.upstream());
  }

  private makeAgent(): Agent {
    // `timeout` is the idle time of a pooled socket (Node's agent then destroys it); a request
    // in progress runs under its own timeout, set by request().
    const agent = new Agent({ keepAlive: true, maxSockets: 16, timeout: this.poolIdleMs });
    // Route every connection to the current upstream, whatever kind it is.
    (agent as unknown as { createConnection: typeof connect }).createConnection = () => connect(connectOptions(this.upstream()));
    return agent;
  }

  /** Drops pooled connections (after the upstream changed). */
  reset(): void {
    this.agent.destroy();
    this.agent = this.makeAgent();
  }

  request(method: string, path: string, opts: EngineRequestOptions = {}): Promise<EngineResponse> {
    const address = this.address;
    const timeoutMs = opts.timeoutMs ?? STREAM_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const headers: OutgoingHttpHeaders = { Host: 'docker', ...opts.headers };
      if (opts.body !== undefined) headers['Content-Length'] = Buffer.byteLength(opts.body);
      const req = request({ agent: this.agent, method, path, headers, signal: opts.signal }, (res) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
      );
      req.setTimeout(timeoutMs, () => req.destroy(new EngineTimeout(address, timeoutMs)));
      req.once('error', (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        reject(code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' ? new EngineUnreachable(address, err) : err);
      });
      req.end(opts.body);
    });
  }

  /** A request whose JSON (or empty) answer is read whole; for small control calls only. */
  async call(method: string, path: string, opts: EngineRequestOptions = {}): Promise<{ status: number; text: string }> {
    const res = await this.request(method, path, { timeoutMs: CALL_TIMEOUT_MS, ...opts });
    const parts: Buffer[] = [];
    for await (const chunk of res.body) parts.push(chunk as Buffer);
    return { status: res.status, text: Buffer.concat(parts).toString('utf8') };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The `message` of a Docker JSON error body, or the text itself. */
export function dockerErrorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON
  }
  return text.trim();
}
