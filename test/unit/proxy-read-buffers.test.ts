// Bytes reach the other side intact while other connections read at the same time: a read
// buffer may be reused only once no write still holds its bytes. Slow clients (their writes
// stay queued) beside fast ones are the case that corrupted `docker save`; slow engines beside
// fast ones are the same case for what clients send (`docker load`).
import { describe, expect, it, afterEach } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProxyServer, type ProxyServer } from '../../main/engine/proxy/proxy';
import { LogStore } from '../../main/engine/log/log-store';
import { EngineClient } from '../../main/engine/upstream/engine-client';

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

/**
 * An engine that takes `POST /upload/SEED` bodies, reading slowly when SEED is odd (its reads
 * pause, so the proxy's writes of client bytes queue), and answers with the offset of the
 * first byte that differs from the pattern (-1: intact); pings are answered too.
 */
function uploadEngine(): Server {
  return createServer((s) => {
    let head = '';
    let seed = 0;
    let remaining = 0;
    let offset = 0;
    let firstBad = -1;
    let sinceSleep = 0;
    s.on('data', (d: Buffer) => {
      let pos = 0;
      while (pos < d.length) {
        if (remaining > 0) {
          const n = Math.min(remaining, d.length - pos);
          const expected = pattern(offset, n, seed);
          if (firstBad === -1) {
            const bad = d.subarray(pos, pos + n).findIndex((b, j) => b !== expected[j]);
            if (bad !== -1) firstBad = offset + bad;
          }
          offset += n;
          remaining -= n;
          pos += n;
          sinceSleep += n;
          if (remaining === 0) s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${String(firstBad).length}\r\n\r\n${firstBad}`);
          continue;
        }
        head += d.toString('latin1', pos);
        pos = d.length;
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) break;
        const rest = Buffer.from(head.slice(end + 4), 'latin1');
        const upload = /^POST \/upload\/(\d+)[^]*Content-Length: (\d+)/i.exec(head.slice(0, end));
        head = '';
        if (upload) {
          [seed, remaining, offset, firstBad] = [Number(upload[1]), Number(upload[2]), 0, -1];
        } else s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK');
        if (rest.length) {
          d = rest;
          pos = 0;
        }
      }
      if (seed % 2 === 1 && sinceSleep > 64 * 1024) {
        sinceSleep = 0;
        s.pause();
        setTimeout(() => s.resume(), 2);
      }
    });
  });
}

/** Sends one patterned body through the proxy; resolves with the engine's verdict. */
function upload(path: string, seed: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ path });
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const end = got.indexOf('\r\n\r\n');
      const length = /Content-Length: (\d+)/.exec(got);
      if (end >= 0 && length && got.length >= end + 4 + Number(length[1])) {
        s.destroy();
        resolve(Number(got.slice(end + 4)));
      }
    });
    s.on('error', reject);
    s.write(`POST /upload/${seed} HTTP/1.1\r\nHost: docker\r\nContent-Length: ${BODY}\r\n\r\n`);
    // Written in uneven pieces, so reads of the proxy split them anywhere.
    let sent = 0;
    const pump = () => {
      while (sent < BODY) {
        const n = Math.min(100_003, BODY - sent);
        const ok = s.write(pattern(sent, n, seed));
        sent += n;
        if (!ok) return void s.once('drain', pump);
      }
    };
    pump();
  });
}

/** Reads one streamed response; a slow reader pauses between reads so its writes queue. */
function fetchStream(path: string, seed: number, slow: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ path });
    const chunks: Buffer[] = [];
    let received = 0;
    let headEnd = -1;
    let total = 0;
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      received += c.length;
      total += c.length;
      // Joined only to find the head, and once the body is complete.
      if (headEnd === -1) headEnd = Buffer.concat(chunks).indexOf('\r\n\r\n');
      if (headEnd >= 0 && received - headEnd - 4 >= BODY) {
        s.destroy();
        resolve(Buffer.concat(chunks).subarray(headEnd + 4));
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

describe('read buffers', () => {
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

  /** The proxy in front of `fake`; returns the proxy's socket. */
  async function proxyFor(fake: Server): Promise<string> {
    dir = mkdtempSync(join(tmpdir(), 'dc-readbuf-'));
    const engineSocket = join(dir, 'engine.sock');
    const proxySocket = join(dir, 'proxy.sock');
    engine = fake;
    await new Promise<void>((r) => fake.listen(engineSocket, r));
    const upstream = () => ({ kind: 'unix' as const, path: engineSocket });
    client = new EngineClient(upstream);
    proxy = createProxyServer({ upstream, logs: new LogStore(1000), engine: client, interceptors: () => [] });
    await new Promise<void>((r) => proxy!.listen(proxySocket, r));
    return proxySocket;
  }

  // 24 MiB through the proxy each, to clients (engines) that pause every chunk, compared byte
  // by byte: seconds of real work, beyond the 5 s default on a loaded machine.
  it('engine streams reach slow and fast clients byte for byte while other connections read', { timeout: 60_000 }, async () => {
    const proxySocket = await proxyFor(fakeEngine());
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
  });

  it('request bodies reach slow and fast engines byte for byte while other connections read', { timeout: 60_000 }, async () => {
    const proxySocket = await proxyFor(uploadEngine());
    const seeds = [1, 2, 3, 4];
    const [verdicts] = await Promise.all([
      Promise.all(seeds.map((seed) => upload(proxySocket, seed))),
      Promise.all([ping(proxySocket, 300), ping(proxySocket, 300)]),
    ]);
    expect(verdicts).toEqual([-1, -1, -1, -1]);
  });
});
