// The proxy in this process between real Unix sockets: the test holds the client's end and
// the engine's end of every connection, so it can drive each connection state and end either
// side at any moment (FIN, close, reset). For connection-level tests and the fuzzer; the
// wiring to a real dockerd is proved by the integration tests.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProxyServer, type Interceptor, type ProxyServer } from '../../main/engine/proxy/proxy';
import { LogStore } from '../../main/engine/log/log-store';
import { EngineClient } from '../../main/engine/upstream/engine-client';
import { until } from './wait';

/** One end of a socket with everything it received and how it ended. */
export interface End {
  socket: Socket;
  text(): string;
  ended: boolean;
  closed: boolean;
  error?: string;
}

export function track(socket: Socket): End {
  const chunks: Buffer[] = [];
  const end: End = {
    socket,
    text: () => Buffer.concat(chunks).toString('latin1'),
    ended: false,
    closed: false,
  };
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('end', () => (end.ended = true));
  socket.on('close', () => (end.closed = true));
  socket.on('error', (err) => (end.error = err.message));
  return end;
}

export interface Rig {
  proxy: ProxyServer;
  logs: LogStore;
  dir: string;
  proxySocket: string;
  engineSocket: string;
  /** The engine's ends of the connections the proxy opened, in order. */
  engines: End[];
  open(): Promise<End>;
  /** The engine's end of the n-th connection, once the proxy opened it. */
  engine(n?: number): Promise<End>;
  stop(): Promise<void>;
}

export async function startRig(opts: { interceptors?: Interceptor[]; engine?: boolean } = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-rig-'));
  const proxySocket = join(dir, 'proxy.sock');
  const engineSocket = join(dir, 'engine.sock');
  const engines: End[] = [];
  let engineServer: Server | null = null;
  if (opts.engine !== false) {
    engineServer = createServer({ allowHalfOpen: true }, (s) => engines.push(track(s)));
    await new Promise<void>((r) => engineServer!.listen(engineSocket, r));
  }
  const logs = new LogStore(100_000);
  const upstream = () => ({ kind: 'unix' as const, path: engineSocket });
  const engineClient = new EngineClient(upstream);
  const proxy = createProxyServer({ upstream, logs, engine: engineClient, interceptors: () => opts.interceptors ?? [] });
  await new Promise<void>((r) => proxy.listen(proxySocket, r));
  const clients: End[] = [];
  return {
    proxy, logs, dir, proxySocket, engineSocket, engines,
    async open() {
      const socket = connect({ path: proxySocket });
      await new Promise<void>((r) => socket.once('connect', () => r()));
      const end = track(socket);
      clients.push(end);
      return end;
    },
    async engine(n = 0) {
      await until(`engine connection ${n}`, () => engines.length > n);
      return engines[n]!;
    },
    async stop() {
      for (const c of clients) c.socket.destroy();
      for (const e of engines) e.socket.destroy();
      proxy.closeAllConnections();
      engineClient.close();
      await new Promise((r) => proxy.close(r));
      if (engineServer) await new Promise((r) => engineServer!.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
