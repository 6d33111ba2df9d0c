// The connection state machine, state by state, over real Unix sockets: the test holds the
// client's and the engine's ends, so every state can be entered and left by a client FIN, a
// client that vanishes, or the engine closing. Nothing here waits for time, only for events.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startRig, type End, type Rig } from '../harness/proxy-rig';
import { until } from '../harness/wait';
import { responseStatuses } from '../harness/go-recorder';
import type { Interceptor } from '../../main/engine/proxy/proxy';
import { EngineClient, EngineTimeout } from '../../main/engine/upstream/engine-client';

const H = 'Host: docker\r\n';
const PING = `GET /_ping HTTP/1.1\r\n${H}\r\n`;
const OK = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK';
const rigs: Rig[] = [];
const problems: unknown[] = [];
process.on('unhandledRejection', (err) => problems.push(err));

afterEach(async () => {
  await Promise.all(rigs.splice(0).map((r) => r.stop()));
  expect(problems).toEqual([]);
});

async function rig(opts: Parameters<typeof startRig>[0] = {}): Promise<Rig> {
  const r = await startRig(opts);
  rigs.push(r);
  return r;
}

const states = (r: Rig) => r.proxy.connectionStates();
const gone = (r: Rig) => until('the connection to be gone', () => r.proxy.openConnections === 0);
const statuses = (text: string) => responseStatuses(Buffer.from(text, 'latin1'));

/** An interceptor that answers pulls itself once the test lets it. */
function heldPull() {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const seen: { body: string; aborted: () => boolean }[] = [];
  const interceptor: Interceptor = {
    wants: (route) => route.route === 'pull',
    async handle(req, ctx) {
      seen.push({ body: req.body.toString(), aborted: () => ctx.signal.aborted });
      await released;
      await ctx.respond.json(200, { status: 'pulled' });
      return { kind: 'responded' };
    },
  };
  return { interceptor, release, seen };
}
const PULL = (body = '') => `POST /v1.41/images/create?fromImage=x HTTP/1.1\r\n${H}Content-Length: ${body.length}\r\n\r\n${body}`;

describe('head: reading request heads', () => {
  it('answers a request and stays open; a client FIN then closes both sides', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(PING);
    const engine = await r.engine();
    await until('the request upstream', () => engine.text() === PING);
    engine.socket.write(OK);
    await until('the answer', () => client.text() === OK);
    expect(states(r)).toEqual(['head']);
    client.socket.end();
    await until('both sides closed', () => client.closed && engine.ended);
    await gone(r);
  });

  it('a client that vanishes while idle closes the engine side too', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(PING);
    const engine = await r.engine();
    engine.socket.write(OK);
    await until('the answer', () => client.text() === OK);
    client.socket.destroy();
    await until('the engine side closed', () => engine.ended);
    await gone(r);
  });

  it('reconnects when the engine closes an idle connection', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(PING);
    (await r.engine(0)).socket.end(OK);
    await until('the answer', () => client.text() === OK);
    client.socket.write(PING);
    const second = await r.engine(1);
    await until('the second request on a new engine connection', () => second.text() === PING);
    second.socket.write(OK);
    await until('the second answer', () => client.text() === OK + OK);
  });

  it('refuses a head cut short by a FIN with 400, as Go does', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.end(`GET /_ping HTTP/1.1\r\nHo`);
    await until('the connection closed', () => client.closed);
    expect(statuses(client.text())).toEqual([400]);
    expect(r.engines).toHaveLength(0);
  });

  it('a client that vanishes mid-head leaves nothing behind', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(`GET /_ping HTTP/1.1\r\nHo`);
    await until('the partial head read', () => r.logs.lastSeq === 0 && states(r)[0] === 'head');
    client.socket.destroy();
    await gone(r);
  });

  it('answers a Docker-style 502 without a body to HEAD when the engine is down, and keeps the connection', async () => {
    const r = await rig({ engine: false });
    const client = await r.open();
    client.socket.write(`HEAD /_ping HTTP/1.1\r\n${H}\r\n`);
    await until('the 502 head', () => client.text().endsWith('\r\n\r\n'));
    expect(client.text()).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\nContent-Type: application\/json\r\nContent-Length: \d+\r\n\r\n$/);
    client.socket.write(`GET /_ping HTTP/1.1\r\n${H}\r\n`);
    await until('the second 502 with its JSON body', () => client.text().includes('"message":"cannot reach the Docker engine'));
    expect(states(r)).toEqual(['head']);
  });
});

describe('errors around the data path', () => {
  it('a client that resets mid-stream (our answer unread) ends the connection and the engine side', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.pause();
    client.socket.write(`GET /v1.41/events HTTP/1.1\r\n${H}\r\n`);
    const engine = await r.engine();
    engine.socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    // Fill what the client does not read, then let it go: the proxy's next write fails.
    const chunk = Buffer.from(`4000\r\n${'x'.repeat(0x4000)}\r\n`);
    for (let i = 0; i < 64 && engine.socket.write(chunk); i++);
    client.socket.destroy();
    // The proxy drops the engine connection, unread stream and all: the engine sees a reset.
    await until('the engine side gone', () => engine.ended || engine.closed);
    await gone(r);
  });

  it('any other failure on a connection ends that connection with a Docker-style 500, and only that one', async () => {
    const broken: Interceptor = {
      wants: (route) => {
        if (route.route === 'pull') throw new Error('a bug in an interceptor');
        return false;
      },
      handle: async () => ({ kind: 'responded' }),
    };
    const r = await rig({ interceptors: [broken] });
    const other = await r.open();
    const client = await r.open();
    client.socket.write(PULL());
    await until('the client closed', () => client.closed);
    expect(statuses(client.text())).toEqual([500]);
    expect(client.text()).toContain('{"message":"the proxy failed on this connection: a bug in an interceptor"}');
    other.socket.write(PING);
    (await r.engine()).socket.write(OK);
    await until('the other connection still answered', () => other.text() === OK);
  });

  it('a log listener that throws breaks neither the request nor the connection', async () => {
    const r = await rig();
    const stderr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      r.logs.subscribe(() => {
        throw new Error('listener bug');
      });
      const client = await r.open();
      client.socket.write(PING);
      (await r.engine()).socket.write(OK);
      await until('the answer', () => client.text() === OK);
      expect(states(r)).toEqual(['head']);
    } finally {
      process.stderr.write = stderr;
    }
  });
});

describe('body: forwarding a request body', () => {
  const POST = `POST /build HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\n`;

  it('passes a client FIN mid-body on to the engine, writes its answer, then closes', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(POST + 'abc');
    const engine = await r.engine();
    await until('the body start upstream', () => engine.text() === POST + 'abc');
    expect(states(r)).toEqual(['body']);
    client.socket.end();
    await until('the FIN upstream', () => engine.ended);
    expect(states(r)).toEqual(['closing']);
    engine.socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    await until('the client closed', () => client.closed);
    expect(statuses(client.text())).toEqual([400]);
    await gone(r);
  });

  it('a client that vanishes mid-body: the engine sees the end, and its answer finds nobody', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(POST + 'abc');
    const engine = await r.engine();
    await until('the body start upstream', () => engine.text().endsWith('abc'));
    client.socket.destroy();
    // On a Unix socket a vanished client reads as a FIN: the engine judges the short body.
    await until('the end upstream', () => engine.ended);
    engine.socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    await gone(r);
  });

  it('the engine closing mid-body gets a Docker-style 502 and the connection ends', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(POST + 'abc');
    const engine = await r.engine();
    await until('the body start upstream', () => engine.text().endsWith('abc'));
    engine.socket.destroy();
    await until('the client closed', () => client.closed);
    expect(statuses(client.text())).toEqual([502]);
    expect(client.text()).toContain('Connection: close');
  });
});

describe('waiting for and relaying the engine\'s answer', () => {
  it('the engine closing before answering gets a 502; the connection keeps working', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(PING);
    (await r.engine(0)).socket.destroy();
    await until('the 502', () => statuses(client.text()).length === 1);
    expect(statuses(client.text())).toEqual([502]);
    client.socket.write(PING);
    (await r.engine(1)).socket.write(OK);
    await until('the next answer', () => client.text().endsWith(OK));
  });

  it('the engine closing mid-response cuts the client off and logs why', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(PING);
    const engine = await r.engine();
    engine.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome');
    await until('the partial answer', () => client.text().endsWith('some'));
    engine.socket.destroy();
    await until('the client cut off', () => client.closed);
    const entry = r.logs.snapshot().at(-1)!;
    expect(entry.error).toMatch(/closed the connection mid-response|connection to the Docker engine/);
  });

  it('a response with Connection: close ends the client connection after it', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(PING + PING);
    const engine = await r.engine();
    await until('both requests upstream', () => engine.text() === PING + PING);
    engine.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK');
    await until('the client closed', () => client.closed);
    expect(statuses(client.text())).toEqual([200]);
  });

  it('a client FIN with answers owed reaches the engine; the answers still arrive', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.end(PING);
    const engine = await r.engine();
    await until('the FIN upstream', () => engine.ended);
    engine.socket.end(OK);
    await until('the client closed', () => client.closed);
    expect(client.text()).toBe(OK);
  });

  it('pauses the engine while the client does not read, and resumes', { timeout: 60_000 }, async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.pause();
    client.socket.write(`GET /images/get HTTP/1.1\r\n${H}\r\n`);
    const engine = await r.engine();
    const size = 64 << 20;
    engine.socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
    const block = Buffer.alloc(1 << 20, 97);
    let written = 0;
    while (written < size && engine.socket.write(block)) written += block.length;
    // The engine's writes back up: the proxy stopped reading it instead of buffering.
    expect(written).toBeLessThan(size);
    let received = 0;
    client.socket.removeAllListeners('data');
    client.socket.on('data', (c: Buffer) => (received += c.length));
    client.socket.resume();
    engine.socket.on('drain', function more() {
      while (written < size) {
        written += block.length;
        if (!engine.socket.write(block)) return;
      }
    });
    await until('the whole body through', () => received >= size, 60_000);
  });
});

describe('intercepting: an intercepted request', () => {
  it('a client that ends or vanishes mid-body gets the 400 the engine would give, is logged, and its sockets freed', async () => {
    for (const vanish of [false, true]) {
      const held = heldPull();
      const r = await rig({ interceptors: [held.interceptor] });
      const client = await r.open();
      client.socket.write(`POST /v1.41/images/create?fromImage=x HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nabc`);
      await until('intercepting', () => states(r)[0] === 'intercepting');
      if (vanish) client.socket.destroy();
      else client.socket.end();
      await gone(r);
      // The proxy is done once it has written the answer; the client has read it once its side closed.
      if (!vanish) {
        await until('the client closed', () => client.closed);
        expect(statuses(client.text())).toEqual([400]);
      }
      const entry = r.logs.snapshot().at(-1)!;
      expect(entry.error).toBe('malformed HTTP request: the client closed the connection before sending the whole request body');
      expect(held.seen).toHaveLength(0);
    }
  });

  it('a client FIN while the interceptor runs aborts its signal; its answer is still written, then the connection ends', async () => {
    const held = heldPull();
    const r = await rig({ interceptors: [held.interceptor] });
    const client = await r.open();
    client.socket.write(PULL('{}'));
    await until('the interceptor running', () => held.seen.length === 1);
    client.socket.end();
    await until('the signal aborted', () => held.seen[0]!.aborted());
    held.release();
    await until('the client closed', () => client.closed);
    expect(statuses(client.text())).toEqual([200]);
    await gone(r);
  });

  it('a client that vanishes while the interceptor runs ends the connection; the interceptor finishes its log entry', async () => {
    const held = heldPull();
    const r = await rig({ interceptors: [held.interceptor] });
    const client = await r.open();
    client.socket.write(PULL());
    await until('the interceptor running', () => held.seen.length === 1);
    client.socket.destroy();
    await until('the signal aborted', () => held.seen[0]!.aborted());
    held.release();
    await gone(r);
    await until('the entry finished', () => !r.logs.snapshot().at(-1)!.pending);
  });

  it('eleven pulls on one connection add no listener (no MaxListenersExceededWarning)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const interceptor: Interceptor = { wants: (route) => route.route === 'pull', handle: async (_req, ctx) => (await ctx.respond.json(200, {}), { kind: 'responded' }) };
    const r = await rig({ interceptors: [interceptor] });
    const client = await r.open();
    await until('connected', () => r.proxy.openConnections === 1);
    for (let i = 1; i <= 11; i++) {
      client.socket.write(PULL());
      await until(`answer ${i}`, () => statuses(client.text()).length === i);
    }
    process.off('warning', onWarning);
    expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    expect(statuses(client.text())).toEqual(new Array(11).fill(200));
  });

  it('answers 100 Continue in turn before the body is sent, as the engine would', async () => {
    const held = heldPull();
    held.release();
    const r = await rig({ interceptors: [held.interceptor] });
    const client = await r.open();
    client.socket.write(`POST /v1.41/images/create?fromImage=x HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n`);
    await until('100 Continue', () => client.text() === 'HTTP/1.1 100 Continue\r\n\r\n');
    client.socket.write('{}');
    await until('the answer', () => statuses(client.text()).length === 2);
    expect(held.seen[0]!.body).toBe('{}');
  });

  it('refuses an intercepted body over the limit with 413 and closes', async () => {
    const held = heldPull();
    const r = await rig({ interceptors: [held.interceptor] });
    const client = await r.open();
    const size = 9 << 20;
    client.socket.write(`POST /v1.41/images/create?fromImage=x HTTP/1.1\r\n${H}Content-Length: ${size}\r\n\r\n`);
    client.socket.write(Buffer.alloc(size, 32));
    await until('the client closed', () => client.closed);
    expect(statuses(client.text())).toEqual([413]);
    expect(held.seen).toHaveLength(0);
  });

  it('answers an HTTP/1.0 client in HTTP/1.0, without chunks, then closes', async () => {
    const interceptor: Interceptor = {
      wants: (route) => route.route === 'pull',
      async handle(_req, ctx) {
        ctx.respond.writeHead(200, { 'Content-Type': 'application/json' });
        await ctx.respond.write('{"status":"a"}\r\n');
        await ctx.respond.end();
        return { kind: 'responded' };
      },
    };
    const r = await rig({ interceptors: [interceptor] });
    const client = await r.open();
    client.socket.write(`POST /v1.41/images/create?fromImage=x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`);
    await until('the client closed', () => client.closed);
    expect(client.text()).toBe('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"status":"a"}\r\n');
  });

  it('pauses the client while an interceptor runs and 64 KiB of pipelined bytes wait', async () => {
    const held = heldPull();
    const r = await rig({ interceptors: [held.interceptor] });
    const client = await r.open();
    client.socket.write(PULL());
    await until('the interceptor running', () => held.seen.length === 1);
    const big = `POST /build HTTP/1.1\r\n${H}Content-Length: ${32 << 20}\r\n\r\n`;
    client.socket.write(big);
    const block = Buffer.alloc(1 << 20, 97);
    let written = 0;
    while (written < 32 << 20 && client.socket.write(block)) written += block.length;
    // The proxy stopped reading: the client's writes back up instead of the proxy buffering.
    expect(written).toBeLessThan(32 << 20);
    held.release();
    const engine = await r.engine();
    await until('the pipelined request upstream once the pull is answered', () => engine.text().startsWith(big));
  });
});

describe('raw and tunnel: a request the engine may hijack', () => {
  const ATTACH = `POST /v1.41/containers/c1/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n`;

  it('holds stdin until the 101, then pipes both ways, passing each side\'s FIN on', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(ATTACH + 'early stdin');
    const engine = await r.engine();
    await until('the request upstream', () => engine.text() === ATTACH);
    expect(states(r)).toEqual(['raw']);
    engine.socket.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nout1');
    await until('stdin after the 101', () => engine.text() === ATTACH + 'early stdin');
    expect(states(r)).toEqual(['tunnel']);
    client.socket.end('more');
    await until('stdin and its end upstream', () => engine.ended && engine.text().endsWith('more'));
    engine.socket.end('out2');
    await until('the client closed', () => client.closed);
    expect(client.text()).toMatch(/out1out2$/);
    await gone(r);
  });

  it('a hijack answered without 101 (200, raw stream) is a tunnel too', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(`POST /v1.41/containers/c1/attach?stream=1&stdout=1 HTTP/1.1\r\n${H}\r\n`);
    const engine = await r.engine();
    engine.socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nout');
    await until('tunnel', () => states(r)[0] === 'tunnel');
    client.socket.write('in');
    await until('stdin upstream', () => engine.text().endsWith('in'));
    engine.socket.destroy();
    await until('the client closed', () => client.closed);
    expect(client.text()).toMatch(/out$/);
    expect(r.logs.snapshot().at(-1)).toMatchObject({ status: 200, upgraded: true });
  });

  it('a hijack refused with a JSON error goes back to reading requests, the held bytes included', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(ATTACH + PING);
    const engine = await r.engine();
    await until('the request upstream', () => engine.text() === ATTACH);
    engine.socket.write('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}');
    await until('the held ping upstream as a request', () => engine.text() === ATTACH + PING);
    engine.socket.write(OK);
    await until('both answers', () => statuses(client.text()).length === 2);
    expect(states(r)).toEqual(['head']);
  });

  it('the engine closing before answering a hijack gets a 502 and the connection ends', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(ATTACH);
    const engine = await r.engine();
    await until('raw', () => states(r)[0] === 'raw');
    engine.socket.destroy();
    await until('the client closed', () => client.closed);
    expect(statuses(client.text())).toEqual([502]);
  });

  it('a client that vanishes in raw or in tunnel: the engine sees the end once the stream is its own', async () => {
    for (const vanishFirst of [true, false]) {
      const r = await rig();
      const client = await r.open();
      client.socket.write(ATTACH);
      const engine = await r.engine();
      await until('raw', () => states(r)[0] === 'raw');
      if (vanishFirst) client.socket.destroy();
      engine.socket.write('HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n');
      if (!vanishFirst) {
        await until('tunnel', () => states(r)[0] === 'tunnel');
        client.socket.destroy();
      }
      await until('the end upstream', () => engine.ended);
      engine.socket.end();
      await gone(r);
    }
  });
});

describe('closing and closed', () => {
  it('after Connection: close, pipelined bytes are dropped; the answer is written, then the connection ends', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(`GET /_ping HTTP/1.1\r\n${H}Connection: close\r\n\r\n${PING}`);
    const engine = await r.engine();
    await until('closing', () => states(r)[0] === 'closing');
    engine.socket.end(OK);
    await until('the client closed', () => client.closed);
    expect(engine.text()).toBe(`GET /_ping HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    expect(client.text()).toBe(OK);
  });

  it('a malformed request behind a good one is answered 400 after the good answer, then closed', async () => {
    const r = await rig();
    const client = await r.open();
    client.socket.write(`${PING}NOT HTTP\r\n\r\n`);
    const engine = await r.engine();
    await until('closing', () => states(r)[0] === 'closing');
    engine.socket.write(OK);
    await until('the client closed', () => client.closed);
    expect(statuses(client.text())).toEqual([200, 400]);
    expect(client.text()).toContain('{"message":"malformed HTTP request: malformed HTTP request \\"NOT HTTP\\""}');
  });

  it('closeAllConnections ends every connection in any state', async () => {
    const held = heldPull();
    const r = await rig({ interceptors: [held.interceptor] });
    const clients: End[] = [];
    for (const bytes of [PING, PULL(), `POST /build HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nab`]) {
      const c = await r.open();
      c.socket.write(bytes);
      clients.push(c);
    }
    await until('three connections', () => r.proxy.openConnections === 3 && held.seen.length === 1);
    r.proxy.closeAllConnections();
    await gone(r);
    await until('every client closed', () => clients.every((c) => c.closed));
    held.release();
  });
});

describe('requests the proxy makes itself', () => {
  it('fail with a clear error when the engine goes silent', async () => {
    const r = await rig({ engine: false });
    const silent = createServer(() => undefined);
    const path = join(r.dir, 'silent.sock');
    await new Promise<void>((done) => silent.listen(path, done));
    const engine = new EngineClient(() => ({ kind: 'unix', path }));
    try {
      const failure = await engine.call('GET', '/version', { timeoutMs: 200 }).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(EngineTimeout);
      expect((failure as Error).message).toBe(`the Docker engine at unix://${path} sent nothing for 0.2 s: is it overloaded or stuck?`);
    } finally {
      engine.close();
      silent.close();
    }
  });
});
