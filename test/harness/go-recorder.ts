// Builds and runs the differential recorder (test/differential/recorder.go): Go's own net/http
// server on a Unix socket, recording what it parsed. Built with Debian's golang-go into a
// temp folder, standard library only, no network. A missing Go toolchain is a failure naming it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createProxyServer, type Interceptor, type ProxyServer } from '../../main/engine/proxy/proxy';
import { LogStore } from '../../main/engine/log/log-store';
import { EngineClient } from '../../main/engine/upstream/engine-client';

const GO = '/usr/bin/go';
const SOURCE = resolve(__dirname, '../differential/recorder.go');

/** What Go's server parsed from one request it accepted. */
export interface GoRecord {
  method: string;
  target: string;
  path: string;
  proto: string;
  host: string;
  header: Record<string, string[]>;
  contentLength: number;
  transferEncoding: string[] | null;
  close: boolean;
  /** Base64, as Go's JSON encodes bytes. */
  body: string | null;
  bodyError: boolean;
  trailer: Record<string, string[]> | null;
}

export interface GoRecorder {
  /** The socket Go's server listens on: feed requests here (directly or through the proxy). */
  socket: string;
  dir: string;
  records(): Promise<GoRecord[]>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startGoRecorder(): Promise<GoRecorder> {
  if (!existsSync(GO)) throw new Error(`${GO} is missing: install Debian's golang-go (apt-get install golang-go) for the differential tests`);
  const dir = mkdtempSync(join(tmpdir(), 'dc-go-recorder-'));
  const binary = join(dir, 'recorder');
  execFileSync(GO, ['build', '-o', binary, SOURCE], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, GOCACHE: join(dir, 'cache'), GOPATH: join(dir, 'gopath'), GOPROXY: 'off', GOFLAGS: '', GO111MODULE: 'off' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const socket = join(dir, 'data.sock');
  const control = join(dir, 'control.sock');
  const child: ChildProcess = spawn(binary, [socket, control], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((ready, fail) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) ready();
    });
    child.once('exit', (code) => fail(new Error(`the Go recorder exited with ${code}`)));
  });
  const call = (method: string) => new Promise<GoRecord[]>((done, fail) => {
    request({ socketPath: control, method, path: '/' }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => done(JSON.parse(text) as GoRecord[]));
    }).on('error', fail).end();
  });
  return {
    socket, dir,
    records: () => call('GET'),
    reset: async () => {
      await call('POST');
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill();
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends bytes on a fresh connection (in the given pieces), half-closes, and returns all it got. */
export function exchangeBytes(socketPath: string, pieces: Buffer[]): Promise<Buffer> {
  return new Promise((done, fail) => {
    const s = connect({ path: socketPath });
    const got: Buffer[] = [];
    s.on('data', (c: Buffer) => got.push(c));
    s.on('error', (err: NodeJS.ErrnoException) => {
      // A server that refuses a request may close before reading all of it: what came back counts.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') return;
      fail(err);
    });
    s.on('close', () => done(Buffer.concat(got)));
    s.on('connect', async () => {
      for (const piece of pieces) {
        if (s.destroyed) return;
        await new Promise<void>((written) => s.write(piece, () => written()));
      }
      s.end();
    });
  });
}

/** The statuses of the responses in a byte stream, 1xx included, in order. */
export function responseStatuses(bytes: Buffer): number[] {
  const statuses: number[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', pos);
    if (end === -1) break;
    const head = bytes.toString('latin1', pos, end);
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!m) throw new Error(`not a response: ${JSON.stringify(head.slice(0, 80))}`);
    const status = Number(m[1]);
    statuses.push(status);
    pos = end + 4;
    if (status < 200) continue;
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length) pos += Number(length[1]);
    else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      const last = bytes.indexOf('\r\n0\r\n\r\n', pos - 2);
      if (last === -1) break;
      pos = last + 7;
    } else break;
  }
  return statuses;
}

/** The recorder with the proxy (in this process) in front of it, and what went wrong unhandled. */
export interface ProxiedGo {
  go: GoRecorder;
  proxy: ProxyServer;
  proxySocket: string;
  logs: LogStore;
  /** Unhandled rejections and uncaught exceptions seen while it ran: must stay empty. */
  problems: unknown[];
  stop(): Promise<void>;
}

export async function startProxyBeforeGo(interceptors: Interceptor[]): Promise<ProxiedGo> {
  const problems: unknown[] = [];
  const onProblem = (err: unknown) => problems.push(err);
  process.on('unhandledRejection', onProblem);
  process.on('uncaughtException', onProblem);
  const go = await startGoRecorder();
  const proxySocket = join(go.dir, 'proxy.sock');
  const upstream = () => ({ kind: 'unix' as const, path: go.socket });
  const engine = new EngineClient(upstream);
  const logs = new LogStore(100_000);
  const proxy = createProxyServer({ upstream, logs, engine, interceptors: () => interceptors });
  await new Promise<void>((r) => proxy.listen(proxySocket, r));
  return {
    go, proxy, proxySocket, logs, problems,
    async stop() {
      process.off('unhandledRejection', onProblem);
      process.off('uncaughtException', onProblem);
      proxy.closeAllConnections();
      engine.close();
      await new Promise((r) => proxy.close(r));
      await go.stop();
    },
  };
}

/**
 * A record as compared: an empty trailer block counts as none. (A trailer Go ends by looking
 * ahead reaches the engine with CRLF ends; when it held no field, Go then keeps no empty map.)
 */
export function comparableRecord(r: GoRecord): GoRecord {
  return r.trailer && Object.keys(r.trailer).length === 0 ? { ...r, trailer: null } : r;
}

/** What the proxy changes on purpose when an interceptor forwards a request it read whole. */
export function asForwardedWhole(r: GoRecord): GoRecord {
  const header = Object.fromEntries(Object.entries(r.header).filter(([k]) => !['Content-Length', 'Transfer-Encoding', 'Expect'].includes(k)));
  return { ...r, header, contentLength: 0, transferEncoding: null, trailer: null };
}
