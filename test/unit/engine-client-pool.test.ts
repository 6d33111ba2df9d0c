// The proxy's own engine client pools connections for bursts of requests and closes a pooled
// connection once it has been idle, so serve holds no engine connection between bursts; a
// request slower than the idle time is not cut off by it.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineClient } from '../../main/engine/upstream/engine-client';
import { until } from '../harness/wait';

const IDLE_MS = 150;

/** An engine stand-in that answers every request 200 "OK", after `delayMs`, on keep-alive connections. */
function engine(delayMs: number): { server: Server; opened: Socket[]; closed: () => number } {
  const opened: Socket[] = [];
  let closed = 0;
  const server = createServer((s) => {
    opened.push(s);
    s.on('close', () => closed++);
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      while (head.includes('\r\n\r\n')) {
        head = head.slice(head.indexOf('\r\n\r\n') + 4);
        setTimeout(() => s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK'), delayMs);
      }
    });
  });
  return { server, opened, closed: () => closed };
}

describe('engine client pool', () => {
  let dir = '';
  let server: Server | undefined;
  let client: EngineClient | undefined;
  afterEach(async () => {
    client?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(delayMs: number) {
    dir = mkdtempSync(join(tmpdir(), 'dc-engine-pool-'));
    const path = join(dir, 'engine.sock');
    const fake = engine(delayMs);
    server = fake.server;
    await new Promise<void>((r) => fake.server.listen(path, r));
    client = new EngineClient(() => ({ kind: 'unix', path }), IDLE_MS);
    return { client, ...fake };
  }

  it('reuses one connection for requests in a row', async () => {
    const { client, opened } = await start(0);
    for (let i = 0; i < 3; i++) expect(await client.call('GET', '/_ping')).toEqual({ status: 200, text: 'OK' });
    expect(opened).toHaveLength(1);
  });

  it('closes a pooled connection once it has been idle', async () => {
    const { client, opened, closed } = await start(0);
    await Promise.all([client.call('GET', '/_ping'), client.call('GET', '/_ping'), client.call('GET', '/_ping')]);
    expect(opened).toHaveLength(3);
    await until('the idle pooled connections to close', () => closed() === 3, 4_000);
  });

  it('lets a request answer later than the idle time', async () => {
    const { client, closed } = await start(IDLE_MS * 4);
    expect(await client.call('GET', '/_ping')).toEqual({ status: 200, text: 'OK' });
    expect(closed()).toBe(0);
  });
});
