// Asks whether a cache's upstream registry answers at all (`GET /v2/`, any HTTP status
// counts), beside every pull through that cache, so a pull served with its upstream gone can
// say so. Node's own http(s) client with kept-alive connections: the next pull's probe reuses
// this one's connection (no new TLS handshake) and loading fetch's client (undici) is spared.
// Never reads a body, never retries, never takes longer than its timeout.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { POOL_IDLE_MS } from '../upstream/engine-client';

// An idle connection is closed as the engine client's are: pulls come in bursts, a probe costs little.
const agents = { http: new HttpAgent({ keepAlive: true, timeout: POOL_IDLE_MS }), https: new HttpsAgent({ keepAlive: true, timeout: POOL_IDLE_MS }) };

export function upstreamAnswers(remote: string, timeoutMs: number): Promise<boolean> {
  let url: URL;
  try {
    url = new URL('/v2/', remote);
  } catch {
    return Promise.resolve(false);
  }
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = (secure ? httpsRequest : httpRequest)(url, { agent: secure ? agents.https : agents.http, timeout: timeoutMs }, (res) => {
      // Drained, so the connection goes back to the pool.
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', () => resolve(false));
    req.end();
  });
}
