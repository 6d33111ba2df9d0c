// The proxy's own HTTP client to the Docker engine, for the few requests it makes itself
// (the pull rewrite's candidate pulls, tags and untags, health checks). Keep-alive pooled.
// Client requests never travel this way: they are piped byte for byte by the proxy.
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

export interface EngineResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: IncomingMessage;
}

export class EngineClient {
  private agent: Agent;

  constructor(private readonly upstream: () => UpstreamAddress) {
    this.agent = this.makeAgent();
  }

  get address(): string {
    return formatUpstream(this.upstream());
  }

  private makeAgent(): Agent {
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    // Route every connection to the current upstream, whatever kind it is.
    (agent as unknown as { createConnection: typeof connect }).createConnection = () => connect(connectOptions(this.upstream()));
    return agent;
  }

  /** Drops pooled connections (after the upstream changed). */
  reset(): void {
    this.agent.destroy();
    this.agent = this.makeAgent();
  }

  request(method: string, path: string, opts: { headers?: OutgoingHttpHeaders; body?: Buffer | string; signal?: AbortSignal } = {}): Promise<EngineResponse> {
    const address = this.address;
    return new Promise((resolve, reject) => {
      const headers: OutgoingHttpHeaders = { Host: 'docker', ...opts.headers };
      if (opts.body !== undefined) headers['Content-Length'] = Buffer.byteLength(opts.body);
      const req = request({ agent: this.agent, method, path, headers, signal: opts.signal }, (res) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
      );
      req.once('error', (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        reject(code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' ? new EngineUnreachable(address, err) : err);
      });
      req.end(opts.body);
    });
  }

  /** A request whose JSON (or empty) answer is read whole; for small control calls only. */
  async call(method: string, path: string, opts: { headers?: OutgoingHttpHeaders; body?: Buffer | string; signal?: AbortSignal } = {}): Promise<{ status: number; text: string }> {
    const res = await this.request(method, path, opts);
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
