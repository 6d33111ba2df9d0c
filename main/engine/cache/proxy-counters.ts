// Reads a cache's proxy counters from its Distribution debug server (`GET /debug/vars` on
// 127.0.0.1:debugPort, expvar's JSON, `registry.proxy.{blobs,manifests}`). A ~1 ms GET on
// loopback, bounded by a timeout; never retries and never holds a pull for longer.
import { request } from 'node:http';
import type { ProxyCounters, ProxyMetrics } from './hit-or-miss';

const MAX_BYTES = 1024 * 1024;

export function readProxyCounters(address: string, timeoutMs: number): Promise<ProxyCounters> {
  return new Promise((resolve, reject) => {
    const req = request(`http://${address}/debug/vars`, { timeout: timeoutMs, agent: false }, (res) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BYTES) req.destroy(new Error('its /debug/vars is too large'));
        else parts.push(chunk);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`its debug server answered ${res.statusCode}`));
        try {
          resolve(proxyCounters(JSON.parse(Buffer.concat(parts).toString('utf8'))));
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`its debug server at ${address} did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** The proxy counters in expvar's JSON, or an error naming what is missing. */
export function proxyCounters(vars: unknown): ProxyCounters {
  const proxy = (vars as { registry?: { proxy?: { blobs?: unknown; manifests?: unknown } } } | null)?.registry?.proxy;
  const blobs = metrics(proxy?.blobs);
  const manifests = metrics(proxy?.manifests);
  if (!blobs || !manifests) throw new Error('its /debug/vars has no registry.proxy counters (not a Distribution proxy?)');
  return { blobs, manifests };
}

function metrics(value: unknown): ProxyMetrics | undefined {
  const v = value as Record<string, unknown> | null | undefined;
  const keys = ['Requests', 'Hits', 'Misses', 'BytesPulled', 'BytesPushed'] as const;
  if (typeof v !== 'object' || v === null || !keys.every((k) => typeof v[k] === 'number')) return undefined;
  return { Requests: v.Requests as number, Hits: v.Hits as number, Misses: v.Misses as number, BytesPulled: v.BytesPulled as number, BytesPushed: v.BytesPushed as number };
}
