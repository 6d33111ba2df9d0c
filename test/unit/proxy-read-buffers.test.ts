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
import { HIGH_WATER_MARK } from '../../main/engine/proxy/connection';
import { LARGE_READ_BUFFER, ReadBufferPool, SMALL_READ_BUFFER, SocketReadBuffers } from '../../main/engine/proxy/read-buffer';
import { until } from '../harness/wait';

const BODY = 6 << 20;
/** More than a Unix socket's kernel buffers take, less than the proxy queues before it pauses the engine. */
const SMALL_BODY = 400 * 1024;

/** Byte i of every streamed body: a pattern in which a misplaced slice shows. */
function pattern(offset: number, length: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) b[i] = ((offset + i) * 31 + seed * 7 + ((offset + i) >> 9)) & 0xff;
  return b;
}

/** Streams a patterned body of BODY bytes to `s`, as fast as `s` takes it. */
function streamPattern(s: Socket, seed: number): void {
  s.write(`HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nContent-Length: ${BODY}\r\n\r\n`);
  let sent = 0;
  const pump = () => {
    while (sent < BODY) {
      const n = Math.min(256 * 1024, BODY - sent);
      const ok = s.write(pattern(sent, n, seed));
      sent += n;
      if (!ok) return void s.once('drain', pump);
    }
  };
  pump();
}

/**
 * An engine (like `docker save` and `docker load`): streams a patterned body per `GET
 * /stream/SEED` (SMALL_BODY bytes for `GET /small/SEED`); takes `POST /upload/SEED` bodies, reading slowly when SEED is odd (its reads
 * pause, so the proxy's writes of client bytes queue), and answers with the offset of the
 * first byte that differs from the pattern (-1: intact); answers `POST /containers/ID/attach`
 * (a request the proxy holds what follows of until the answer) once `attachGate` resolves,
 * without hijacking; answers anything else (pings) with OK.
 */
function fakeEngine(attachGate: Promise<void> = Promise.resolve()): Server {
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
        const request = head.slice(0, end);
        head = '';
        const upload = /^POST \/upload\/(\d+)[^]*Content-Length: (\d+)/i.exec(request);
        const stream = /^GET \/stream\/(\d+)/.exec(request);
        const small = /^GET \/small\/(\d+)/.exec(request);
        if (upload) {
          [seed, remaining, offset, firstBad] = [Number(upload[1]), Number(upload[2]), 0, -1];
        } else if (stream) {
          streamPattern(s, Number(stream[1]));
        } else if (small) {
          s.write(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${SMALL_BODY}\r\n\r\n`, 'latin1'), pattern(0, SMALL_BODY, Number(small[1]))]));
        } else if (/^POST \/containers\/\w+\/attach/.test(request)) {
          void attachGate.then(() => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK'));
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

function expectIntact(bodies: Buffer[], seeds: number[]): void {
  bodies.forEach((body, i) => {
    const expected = pattern(0, BODY, seeds[i]!);
    const firstBad = body.findIndex((b, j) => b !== expected[j]);
    expect({ seed: seeds[i], length: body.length, firstBad }).toEqual({ seed: seeds[i], length: BODY, firstBad: -1 });
  });
}

/** What one streaming connection may hold at once: its buffer, and queued writes up to the high-water mark and one read past it. */
const PER_STREAM = HIGH_WATER_MARK / LARGE_READ_BUFFER + 3;

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

  /** Once every connection is gone, every 64 KiB buffer taken from the pool is back in it. */
  async function expectEveryBufferBack(): Promise<void> {
    const pool = proxy!.readBuffers;
    await until('the connections to end', () => proxy!.openConnections === 0);
    await until(`every read buffer back in the pool (${pool.outstanding} out)`, () => pool.outstanding === 0);
    expect(pool.idleBuffers).toBeLessThanOrEqual(pool.limit);
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
    expectIntact(bodies, seeds);
    expect(proxy!.readBuffers.peakOutstanding).toBeLessThanOrEqual(seeds.length * PER_STREAM);
    await expectEveryBufferBack();
  });

  it('request bodies reach slow and fast engines byte for byte while other connections read', { timeout: 60_000 }, async () => {
    const proxySocket = await proxyFor(fakeEngine());
    const seeds = [1, 2, 3, 4];
    const [verdicts] = await Promise.all([
      Promise.all(seeds.map((seed) => upload(proxySocket, seed))),
      Promise.all([ping(proxySocket, 300), ping(proxySocket, 300)]),
    ]);
    expect(verdicts).toEqual([-1, -1, -1, -1]);
    expect(proxy!.readBuffers.peakOutstanding).toBeLessThanOrEqual(seeds.length * PER_STREAM);
    await expectEveryBufferBack();
  });

  // The proxy ends a client (here: it asked for Connection: close) while its writes are still
  // queued; the engine socket, destroyed meanwhile, gives its buffers back only once the
  // client has taken every byte.
  it('buffers a client ended with writes still queued come back once it read them, bytes intact', { timeout: 60_000 }, async () => {
    const proxySocket = await proxyFor(fakeEngine());
    const pool = proxy!.readBuffers;
    const s = connect({ path: proxySocket });
    const failed = new Promise<never>((_, reject) => s.once('error', reject));
    s.pause();
    s.write('GET /small/5 HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
    await until('the proxy to read the response and finish the connection', () => pool.allocated > 0 && proxy!.openConnections === 0);
    expect(pool.outstanding).toBeGreaterThan(0);
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.resume();
    await Promise.race([new Promise((r) => s.once('end', r)), failed]);
    s.destroy();
    const got = Buffer.concat(chunks);
    const body = got.subarray(got.indexOf('\r\n\r\n') + 4);
    const expected = pattern(0, SMALL_BODY, 5);
    expect({ length: body.length, firstBad: body.findIndex((b, j) => b !== expected[j]) }).toEqual({ length: SMALL_BODY, firstBad: -1 });
    await expectEveryBufferBack();
  });

  // Buffers freed by one stream's completed writes are read into by the others at once: a
  // buffer handed on too early shows as a misplaced slice in some stream. 96 MiB, patterned.
  it('streams out and in at once, round after round, share the pool: byte for byte, buffers out at once bounded by the streams', { timeout: 120_000 }, async () => {
    const proxySocket = await proxyFor(fakeEngine());
    const pool = proxy!.readBuffers;
    for (const round of [0, 1]) {
      const seeds = [1, 2, 3, 4].map((seed) => seed + round * 4);
      const [bodies, verdicts] = await Promise.all([
        Promise.all(seeds.map((seed) => fetchStream(proxySocket, seed, seed % 2 === 1))),
        Promise.all(seeds.map((seed) => upload(proxySocket, seed))),
        ping(proxySocket, 200),
      ]);
      expectIntact(bodies, seeds);
      expect(verdicts).toEqual([-1, -1, -1, -1]);
      await expectEveryBufferBack();
    }
    expect(pool.peakOutstanding).toBeLessThanOrEqual(8 * PER_STREAM);
    // Two rounds of 96 MiB each read 64 KiB at a time: without reuse this would be thousands.
    expect(pool.allocated).toBeLessThanOrEqual(pool.peakOutstanding + pool.limit);
  });

  // One write carries the end of upload A, an attach (which the engine may hijack, so the proxy
  // holds what follows until it answers) and the start of upload B: with reads of 4 KiB, then
  // 64 KiB, its last read, into a 64 KiB buffer, ends in bytes the paused reader keeps. While
  // they wait, other streams take buffers from the pool and fill them.
  it('bytes a paused request reader keeps are intact after other streams used the pool', { timeout: 60_000 }, async () => {
    let answerAttach!: () => void;
    const proxySocket = await proxyFor(fakeEngine(new Promise((r) => (answerAttach = r))));
    const s = connect({ path: proxySocket });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString('latin1')));
    const attach = 'POST /containers/abc/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nHost: docker\r\n\r\n';
    const [b, bLength, bFirst] = [6, 100_000, 10_000];
    const bHead = `POST /upload/${b} HTTP/1.1\r\nHost: docker\r\nContent-Length: ${bLength}\r\n\r\n`;
    const aHead = (length: number) => `POST /upload/4 HTTP/1.1\r\nHost: docker\r\nContent-Length: ${length}\r\n\r\n`;
    const total = SMALL_READ_BUFFER + 2 * LARGE_READ_BUFFER + 30_000;
    // A's length has six digits, whatever it is.
    const aLength = total - aHead(100_000).length - attach.length - bHead.length - bFirst;
    const first = Buffer.concat([
      Buffer.from(aHead(aLength), 'latin1'), pattern(0, aLength, 4), Buffer.from(attach + bHead, 'latin1'), pattern(0, bFirst, b),
    ]);
    await new Promise<void>((r) => s.write(first, () => r()));
    await until('the proxy to hold what follows the attach', () => proxy!.connectionStates().includes('raw'));
    const [slow, fast] = await Promise.all([fetchStream(proxySocket, 7, true), fetchStream(proxySocket, 8, false)]);
    answerAttach();
    const verdicts = () => [...got.matchAll(/\r\n\r\n(-?\d+|OK)(?=HTTP|$)/g)].map((m) => m[1]);
    await until('the answers to upload A and the attach', () => verdicts().length === 2);
    s.write(pattern(bFirst, bLength - bFirst, b));
    await until('the answer to upload B (or the end of the connection)', () => verdicts().length === 3 || s.readableEnded);
    s.destroy();
    expect(verdicts()).toEqual(['-1', 'OK', '-1']);
    expectIntact([slow, fast], [7, 8]);
  });

  // own-reads.ts reads into the proxy's buffers through two Node internals; where they are
  // missing (here: the accepted socket's handle has no useUserBuffer) it falls back to 'data'
  // events, with buffers of Node's own.
  it('client sockets read through data events (own-reads\' fallback) carry streams both ways byte for byte', { timeout: 60_000 }, async () => {
    const proxySocket = await proxyFor(fakeEngine());
    const accepted: Socket[] = [];
    proxy!.prependListener('connection', (socket: Socket) => {
      (socket as unknown as { _handle: { useUserBuffer?: unknown } })._handle.useUserBuffer = undefined;
      accepted.push(socket);
    });
    const seeds = [1, 2];
    const [bodies, verdicts] = await Promise.all([
      Promise.all(seeds.map((seed) => fetchStream(proxySocket, seed, seed % 2 === 1))),
      Promise.all(seeds.map((seed) => upload(proxySocket, seed + 2))),
      ping(proxySocket, 200),
    ]);
    expectIntact(bodies, seeds);
    expect(verdicts).toEqual([-1, -1]);
    expect(accepted).toHaveLength(5);
    // Each accepted socket is the connection's own, read through 'data' events.
    for (const socket of accepted) expect(socket.listenerCount('data')).toBe(1);
    await expectEveryBufferBack();
  });
});

describe('SocketReadBuffers', () => {
  /** Read buffers whose "other side" is the test: `finish()` completes what was queued so far. */
  function tracked(pool = new ReadBufferPool()) {
    const waiting: (() => void)[] = [];
    const reads = new SocketReadBuffers(pool, (done) => waiting.push(done));
    const grown = () => reads.afterRead(SMALL_READ_BUFFER, false, false);
    const finish = () => waiting.splice(0).forEach((done) => done());
    return { pool, reads, grown, finish, waiting };
  }

  it('reuses its buffer while nothing is queued; grows when a read fills it, shrinks on a small read', () => {
    const { pool, reads, waiting } = tracked();
    const small = reads.current;
    reads.afterRead(100, false, false);
    expect(reads.current).toBe(small);
    reads.afterRead(SMALL_READ_BUFFER, false, false);
    const large = reads.current;
    expect(large.length).toBe(LARGE_READ_BUFFER);
    reads.afterRead(40_000, false, false);
    expect(reads.current).toBe(large);
    reads.afterRead(200, false, false);
    expect(reads.current.length).toBe(SMALL_READ_BUFFER);
    expect(waiting).toHaveLength(0);
    expect(pool.take()).toBe(large);
  });

  it('a buffer the other side\'s queued writes may hold goes back to the pool only once they completed', () => {
    const { pool, reads, grown, finish } = tracked();
    grown();
    const first = reads.current;
    reads.afterRead(LARGE_READ_BUFFER, true, false);
    expect(reads.current).not.toBe(first);
    expect(reads.current.length).toBe(LARGE_READ_BUFFER);
    expect(pool.idleBuffers).toBe(0);
    finish();
    expect(pool.idleBuffers).toBe(1);
    expect(pool.take()).toBe(first);
  });

  it('a buffer something else keeps a slice of (a paused reader) never goes back to the pool', () => {
    const { pool, reads, grown, waiting } = tracked();
    grown();
    const kept = reads.current;
    reads.afterRead(LARGE_READ_BUFFER, false, true);
    expect(reads.current).not.toBe(kept);
    expect(waiting).toHaveLength(0);
    reads.close(false);
    expect(pool.idleBuffers).toBe(1);
    expect(pool.take()).not.toBe(kept);
  });

  it('a closed socket\'s buffer goes back once the writes queued then completed, and nothing can be read into it', () => {
    const { pool, reads, grown, finish } = tracked();
    grown();
    reads.close(true);
    expect(reads.current.length).toBe(0);
    expect(pool.idleBuffers).toBe(0);
    finish();
    expect(pool.idleBuffers).toBe(1);
    expect(pool.outstanding).toBe(0);
  });

  it('a pool keeps at most its limit, and allocates only when it has none idle', () => {
    const pool = new ReadBufferPool(2);
    const taken = [pool.take(), pool.take(), pool.take()];
    expect(pool.allocated).toBe(3);
    for (const buf of taken) pool.give(buf);
    expect(pool.idleBuffers).toBe(2);
    pool.take();
    pool.take();
    pool.take();
    expect(pool.allocated).toBe(4);
  });
});
