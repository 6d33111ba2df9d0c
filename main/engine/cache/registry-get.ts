// One small GET to a registry or a cache's debug server, on connections kept alive between
// calls: the pull path asks its cache's port who serves it, the upstream whether it answers and
// the debug server for its counters on every pull through a cache, and pulls come in bursts.
// Bounded by a timeout and a body limit; never retries, never throws (a failure is a value).
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { POOL_IDLE_MS } from '../upstream/engine-client';

// An idle connection closes as the engine client's do.
const agents = { http: new HttpAgent({ keepAlive: true, timeout: POOL_IDLE_MS }), https: new HttpsAgent({ keepAlive: true, timeout: POOL_IDLE_MS }) };

export type GetResult =
  | { ok: true; status: number; headers: IncomingHttpHeaders; body: Buffer }
  /** `code`: the socket's or Node's HTTP parser's error code (`ECONNREFUSED`, `HPE_…`), when there was one. */
  | { ok: false; reason: string; code?: string };

/** GETs `url` (http or https); the body is read only with `maxBytes` (else drained unread). */
export function registryGet(url: string | URL, timeoutMs: number, maxBytes?: number): Promise<GetResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, reason: `not a URL: ${String(url)}` });
  }
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') return Promise.resolve({ ok: false, reason: `not http or https: ${target.protocol}` });
  return new Promise((resolve) => {
    const req = (secure ? httpsRequest : httpRequest)(target, { agent: secure ? agents.https : agents.http, timeout: timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      // Drained, so the connection goes back to the pool.
      if (maxBytes === undefined) {
        res.resume();
        return resolve({ ok: true, status, headers: res.headers, body: Buffer.alloc(0) });
      }
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) req.destroy(new Error(`its answer is over ${maxBytes} bytes`));
        else parts.push(chunk);
      });
      res.on('end', () => resolve({ ok: true, status, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, reason: err.message, ...(err.code ? { code: err.code } : {}) }));
    req.end();
  });
}
