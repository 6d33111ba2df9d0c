// Tells whether the HTTP server at 127.0.0.1:PORT is one particular cache container's
// Distribution. Each container is made with an identity of its own (random, kept in its
// environment), which Distribution sends back as a response header on every answer; a server
// that took the port before or after ours (another registry, anything) never sends it, so it is
// never mistaken for the cache. The identity is a name tag, not a credential: it grants nothing
// and guards nothing. One small `GET /v2/` (registry-get.ts), never reading a body.
import { randomBytes } from 'node:crypto';
import { IDENTITY_HEADER } from './cache-specs';
import { registryGet } from './registry-get';

/** Who answers at the port: this cache, another server, or no one that could be told from here. */
export type PortServer = 'this cache' | 'another server' | 'no answer';

const HEADER = IDENTITY_HEADER.toLowerCase();

/** A new container's identity. */
export function newIdentity(): string {
  return randomBytes(16).toString('hex');
}

export async function whoServes(port: number, identity: string, timeoutMs: number): Promise<PortServer> {
  const res = await registryGet(`http://127.0.0.1:${port}/v2/`, timeoutMs);
  if (res.ok) return res.headers[HEADER] === identity ? 'this cache' : 'another server';
  // Refused, reset or silent: nothing here says who holds the port. An answer that is not
  // HTTP (Node's parser refuses it) comes from another server for sure.
  return res.code?.startsWith('HPE_') ? 'another server' : 'no answer';
}
