// Engine bytes reach every client intact while other connections read at the same time:
// a read buffer may be reused only once no client write still holds its bytes. Slow clients
// (their writes stay queued) beside fast ones are the case that corrupted `docker save`.
import { describe, expect, it, afterEach } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProxyServer, type ProxyServer } from '../../main/engine/proxy/proxy';
import { LogStore } from '../../main/engine/log/log-store';
import { EngineClient } from '../../main/engine/upstream/engine-client';
import { nextReadBuffer, SMALL_READ_BUFFER, LARGE_READ_BUFFER } from '../../main/engine/proxy/read-buffer';

const BODY = 6 << 20;

/** Byte i of every streamed body: a pattern in which a misplaced slice shows. */
function pattern(offset: number, length: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = ((offset + i) * 31 + seed * 7 + ((offset + i) >> 9)) & 0xff;
  return b;
}

/** An engine that streams a patterned body per `GET /stream/SEED` and answers pings. */
function fakeEngine(): Server {
  return createServer((s) => {
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      let end: number;
      while ((end = head.indexOf('\r\n\r\n')) >= 0) {
        const line = head.slice(0, head.indexOf('\r\n'));
        head = head.slice(end + 4);
        const seed = /^GET \/stream\/(\d+)/.exec(line);
        if (!seed) {
          s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK');
          continue;
        }
        s.write(`HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: ${BODY}\r\n\r\n`);
        let sent = 0;
        const pump = () => {
          while (sent < BODY) {
            const n = Math.min(256 * 1024, BODY - sent);
            const ok = s.write(pattern(sent, n, Number(seed[1])));
            sent += n;
            if (!ok) return void s.once('drain', pump);
          }
        };
        pump();
      }
    });
  });
}

/** Reads one streamed response; a slow reader pauses between reads so its writes queue. */
function fetchStream(path: string, seed: number, slow: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ path });
    const chunks: Buffer[] = [];
    let total = 0;
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      total += c.length;
      const whole = Buffer.concat(chunks);
      const headEnd = whole.indexOf('\r\n\r\n');
      if (headEnd >= 0 && whole.length - headEnd - 4 >= BODY) {
        s.destroy();
        resolve(whole.subarray(headEnd + 4));
        return;
      }
      if (slow && total > 64 * 1024) {
        total = 0;
        s.pause();
        setTimeout(() => s.resume(), 2);
      }
    });
    s.on('error', reject);
    s.write(`GET /stream/${seed} HTTP/1.1\r\nHost: docker\r\n\r\n`);
  });
}

function ping(path: string, times: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    let answered = 0;
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      while (got.includes('\r\n\r\nOK')) {
        got = got.slice(got.indexOf('\r\n\r\nOK') + 6);
        if (++answered === times) return void (s.destroy(), resolve());
        s.write('GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n');
      }
    });
    s.on('error', reject);
    s.write('GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n');
  });
}

describe('engine read buffers', () => {
  let dir = '';
  let engine: Server | null = null;
  let proxy: ProxyServer | null = null;
  let client: EngineClient | null = null;

  afterEach(async () => {
    proxy?.closeAllConnections();
    client?.close();
    if (proxy) await new Promise((r) => proxy!.close(r));
    if (engine) await new Promise((r) => engine!.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  // 24 MiB through the proxy to clients that pause every chunk, compared byte by byte: seconds
  // of real work, beyond the 5 s default on a loaded machine.
  it('streams reach slow and fast clients byte for byte while other connections read', { timeout: 60_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'dc-readbuf-'));
    const engineSocket = join(dir, 'engine.sock');
    const proxySocket = join(dir, 'proxy.sock');
    engine = fakeEngine();
    await new Promise<void>((r) => engine!.listen(engineSocket, r));
    const upstream = () => ({ kind: 'unix' as const, path: engineSocket });
    client = new EngineClient(upstream);
    proxy = createProxyServer({ upstream, logs: new LogStore(1000), engine: client, interceptors: () => [] });
    await new Promise<void>((r) => proxy!.listen(proxySocket, r));

    const seeds = [1, 2, 3, 4];
    const [bodies] = await Promise.all([
      Promise.all(seeds.map((seed) => fetchStream(proxySocket, seed, seed % 2 === 1))),
      Promise.all([ping(proxySocket, 300), ping(proxySocket, 300)]),
    ]);
    bodies.forEach((body, i) => {
      const expected = pattern(0, BODY, seeds[i]!);
      const firstBad = body.findIndex((b, j) => b !== expected[j]);
      expect({ seed: seeds[i], length: body.length, firstBad }).toEqual({ seed: seeds[i], length: BODY, firstBad: -1 });
    });
    // 24 MiB through the proxy to readers that pause: seconds on a loaded machine, not a speed check.
  }, 60_000);
});

describe('nextReadBuffer', () => {
  const small = Buffer.allocUnsafe(SMALL_READ_BUFFER);
  const large = Buffer.allocUnsafe(LARGE_READ_BUFFER);

  it('keeps the buffer while no client write holds it', () => {
    expect(nextReadBuffer(small, 100, false)).toBe(small);
    expect(nextReadBuffer(large, 40_000, false)).toBe(large);
  });

  it('takes a fresh buffer when a client write still holds the bytes', () => {
    const next = nextReadBuffer(large, 40_000, true);
    expect(next).not.toBe(large);
    expect(next.length).toBe(LARGE_READ_BUFFER);
  });

  it('grows when a read fills a small buffer, and shrinks on a small read', () => {
    expect(nextReadBuffer(small, SMALL_READ_BUFFER, false).length).toBe(LARGE_READ_BUFFER);
    expect(nextReadBuffer(large, 200, false).length).toBe(SMALL_READ_BUFFER);
  });
});
