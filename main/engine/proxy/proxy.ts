// The socket proxy: accepts client connections and gives each its own ProxyConnection
// (connection.ts), paired with its own engine connection. Also the contract between the proxy
// and the interceptors that rewrite a few routes. Never parses anything itself.
import { createServer, type Server } from 'node:net';
import type { LogDetail } from '#shared/log';
import type { RequestHead } from './request-head';
import type { LogStore } from '../log/log-store';
import type { RouteInfo } from './routes';
import type { UpstreamAddress } from '../upstream/upstream';
import type { EngineClient } from '../upstream/engine-client';
import type { ClientResponder } from './client-responder';
import { HIGH_WATER_MARK, ProxyConnection, type ConnectionState } from './connection';
import { ReadBufferPool } from './read-buffer';

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

export type ProxyServer = Server & {
  closeAllConnections(): void;
  /** Connections open now (for tests and the soak's leak checks). */
  readonly openConnections: number;
  /** The state of every open connection. */
  connectionStates(): ConnectionState[];
  /** The 64 KiB read buffers every connection of this server takes and gives back. */
  readonly readBuffers: ReadBufferPool;
};

export function createProxyServer(opts: ProxyOptions): ProxyServer {
  const connections = new Set<ProxyConnection>();
  const readBuffers = new ReadBufferPool();
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true, highWaterMark: HIGH_WATER_MARK }, (client) => {
    const conn = new ProxyConnection(client, opts, () => connections.delete(conn), readBuffers);
    connections.add(conn);
  });
  return Object.defineProperties(Object.assign(server, {
    closeAllConnections() {
      for (const conn of connections) conn.destroy();
    },
    connectionStates: () => [...connections].map((conn) => conn.currentState),
    readBuffers,
  }), { openConnections: { get: () => connections.size } }) as ProxyServer;
}
