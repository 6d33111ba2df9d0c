// Reads a cache's proxy counters from its Distribution debug server (`GET /debug/vars` on
// 127.0.0.1:debugPort, expvar's JSON, `registry.proxy.{blobs,manifests}`). A ~1 ms GET on
// loopback (registry-get.ts, kept alive between pulls), bounded by a timeout; never retries.
import type { ProxyCounters, ProxyMetrics } from './hit-or-miss';
import { registryGet } from './registry-get';

const MAX_BYTES = 1024 * 1024;

export async function readProxyCounters(address: string, timeoutMs: number): Promise<ProxyCounters> {
  const res = await registryGet(`http://${address}/debug/vars`, timeoutMs, MAX_BYTES);
  if (!res.ok) throw new Error(`its debug server at ${address}: ${res.reason}`);
  if (res.status !== 200) throw new Error(`its debug server answered ${res.status}`);
  return proxyCounters(JSON.parse(res.body.toString('utf8')));
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
