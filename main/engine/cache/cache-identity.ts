// Tells whether the HTTP server at 127.0.0.1:PORT is one particular cache container's
// Distribution. Each container is made with an identity of its own (random, kept in its
// environment), which Distribution sends back as a response header on every answer; a server
// that took the port before or after ours (another registry, anything) never sends it, so it is
// never mistaken for the cache. The identity is a name tag, not a credential: it grants nothing
// and guards nothing. One small `GET /v2/` on a kept-alive connection, bounded by its timeout;
// never reads a body, never retries.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { IDENTITY_HEADER } from './cache-specs';
import { POOL_IDLE_MS } from '../upstream/engine-client';

/** Who answers at the port: this cache, another server, or no one that could be told from here. */
export type PortServer = 'this cache' | 'another server' | 'no answer';

// Pulls come in bursts: the next pull's check reuses this one's connection. An idle connection
// closes as the engine client's do.
const agent = new Agent({ keepAlive: true, timeout: POOL_IDLE_MS });

/** A new container's identity. */
export function newIdentity(): string {
  return randomBytes(16).toString('hex');
}

export function whoServes(port: number, identity: string, timeoutMs: number): Promise<PortServer> {
  const header = IDENTITY_HEADER.toLowerCase();
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/v2/', agent, timeout: timeoutMs }, (res) => {
      // Drained, so the connection goes back to the pool.
      res.resume();
      resolve(res.headers[header] === identity ? 'this cache' : 'another server');
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    // Refused, reset or silent: nothing here says who holds the port. An answer that is not
    // HTTP (Node's parser refuses it) comes from another server for sure.
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code?.startsWith('HPE_') ? 'another server' : 'no answer'));
    req.end();
  });
}
