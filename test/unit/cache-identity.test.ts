// Who answers at a cache's port, told over real loopback sockets: a server sending the cache's
// identity, servers that do not (another identity, none, not HTTP at all), and ports where
// nothing can be told (closed, or a listener that never answers).
import { afterEach, describe, expect, it } from 'vitest';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { newIdentity, whoServes } from '../../main/engine/cache/cache-identity';
import { IDENTITY_HEADER } from '../../main/engine/cache/cache-specs';

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterEach(async () => {
  // The kept-alive connections too: a server closes once its last connection has.
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listening<T extends Server>(server: T): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** An HTTP server answering every request with these headers, as Distribution answers `/v2/`. */
const answering = (headers: Record<string, string>) => listening(createHttpServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Docker-Distribution-Api-Version': 'registry/2.0', ...headers });
  res.end('{}');
}));

describe('who serves a cache port', () => {
  const identity = newIdentity();

  it('makes a new hex identity for each container', () => {
    expect(identity).toMatch(/^[0-9a-f]{32}$/);
    expect(newIdentity()).not.toBe(identity);
  });

  it('knows the cache by its identity, on every request over one kept-alive connection', async () => {
    const port = await answering({ [IDENTITY_HEADER]: identity });
    let connections = 0;
    servers[0]!.on('connection', () => connections++);
    for (let i = 0; i < 3; i++) expect(await whoServes(port, identity, 1_000)).toBe('this cache');
    expect(connections).toBe(1);
  });

  it('takes any other answer for another server: another cache\'s identity, none, not HTTP', async () => {
    expect(await whoServes(await answering({ [IDENTITY_HEADER]: newIdentity() }), identity, 1_000)).toBe('another server');
    expect(await whoServes(await answering({}), identity, 1_000)).toBe('another server');
    const garbage = await listening(createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n')));
    expect(await whoServes(garbage, identity, 1_000)).toBe('another server');
  });

  it('cannot tell who holds a closed port or one whose listener never answers', async () => {
    const closed = await listening(createServer());
    await new Promise((r) => servers.pop()!.close(r));
    expect(await whoServes(closed, identity, 1_000)).toBe('no answer');
    const silent = await listening(createServer(() => undefined));
    expect(await whoServes(silent, identity, 200)).toBe('no answer');
  });
});
