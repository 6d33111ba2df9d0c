// The `cache` section of a config file: the local pull-through caches (one CNCF Distribution
// container per registry) and their settings, and the effective list of cached registries
// (the default set, with the file's own entries over it). Pure: no Node, no DOM.
import { z } from 'zod';
import { mirrorProblem } from './registry-location';

/** The registries cached out of the box, with their ports and upstream URLs. */
export const defaultCacheRegistries: readonly { registry: string; port: number; remote: string }[] = [
  { registry: 'docker.io', port: 5050, remote: 'https://registry-1.docker.io' },
  { registry: 'ghcr.io', port: 5051, remote: 'https://ghcr.io' },
  { registry: 'quay.io', port: 5052, remote: 'https://quay.io' },
  { registry: 'registry.k8s.io', port: 5053, remote: 'https://registry.k8s.io' },
  { registry: 'gcr.io', port: 5054, remote: 'https://gcr.io' },
  { registry: 'public.ecr.aws', port: 5055, remote: 'https://public.ecr.aws' },
  { registry: 'mcr.microsoft.com', port: 5056, remote: 'https://mcr.microsoft.com' },
];

const sizeUnits: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
};
const sizePattern = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b|b)?$/i;

/** Bytes in a size such as `20GB`, `512MiB` or `1000000`, or undefined when it is not one. */
export function parseSize(text: string): number | undefined {
  const m = sizePattern.exec(text.trim());
  if (!m) return undefined;
  return Math.floor(Number(m[1]) * (sizeUnits[(m[2] ?? 'b').toLowerCase()] ?? 1));
}

// Go's time.ParseDuration, which Distribution reads `proxy.ttl` with, for the units that make sense here.
const durationPattern = /^(?:\d+(?:\.\d+)?(?:h|m|s))+$/;

const size = z
  .union([z.number().int().nonnegative(), z.string()], { error: 'must be a size such as 20GB, 512MiB or a number of bytes' })
  .refine((value) => typeof value === 'number' || parseSize(value) !== undefined, 'must be a size such as 20GB, 512MiB or a number of bytes');

const port = z.number({ error: 'must be a port number such as 5050' }).int('must be a whole number').min(1, 'must be 1 to 65535').max(65535, 'must be 1 to 65535');

const remoteUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}, 'must be an http(s) URL such as https://registry-1.docker.io, without a user or password (use `credentials: true`)');

/** How far above a cache's port its Distribution debug server listens, unless `debugPort` says otherwise. */
export const DEBUG_PORT_OFFSET = 100;

export const cacheRegistrySchema = z.strictObject({
  port: port.optional(),
  /** Where the cache's Distribution debug server (its hit and miss counters) listens on 127.0.0.1; default port + 100. */
  debugPort: port.optional(),
  remote: remoteUrl.optional(),
  /** Take the user's own docker login for this registry (the cache container can then read it). */
  credentials: z.boolean().default(false),
});

const registryKey = z.string().check((ctx) => {
  const problem = ctx.value.includes('/') ? 'must be a registry (a domain with an optional port), not a repository path' : mirrorProblem(ctx.value);
  if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value, continue: true });
});

export const cacheSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    image: z.string().min(1, 'must name an image that runs Distribution, such as registry:2').max(512).default('registry:2'),
    network: z.enum(['bridge', 'host'], { error: 'must be bridge (publish 127.0.0.1:PORT) or host (listen on 127.0.0.1:PORT in the host network)' }).default('bridge'),
    ttl: z.string().regex(durationPattern, 'must be a duration such as 168h or 30m').default('168h'),
    maxSize: size.default('20GB'),
    /** The file's own entries over the default set; `false` removes a default registry. */
    registries: z.record(registryKey, z.union([z.literal(false), cacheRegistrySchema], {
      error: 'must be false (not cached) or settings such as {port: 5050, remote: https://registry-1.docker.io}',
    })).default({}),
  })
  .check((ctx) => {
    // Every port a cache listens on (its own and its debug server's) belongs to one cache only.
    const seen = new Map<number, string>();
    const claim = (registry: string, key: 'port' | 'debugPort', value: number, owner: string, collision: (other: string) => string) => {
      const other = seen.get(value);
      if (other !== undefined) ctx.issues.push({ code: 'custom', input: value, path: ['registries', registry, key], message: collision(other) });
      seen.set(value, owner);
    };
    for (const entry of listRegistries(ctx.value.registries)) {
      const own = ctx.value.registries[entry.registry];
      if (entry.port === undefined) {
        ctx.issues.push({ code: 'custom', input: own, path: ['registries', entry.registry, 'port'], message: 'is required for a registry that is not in the default set' });
        continue;
      }
      claim(entry.registry, 'port', entry.port, `the port of ${entry.registry}`, (other) => `is also ${other}: each cached registry needs its own port`);
      const owner = `the debug server port of ${entry.registry}`;
      if (entry.debugPort !== undefined) {
        claim(entry.registry, 'debugPort', entry.debugPort, owner, (other) => `is also ${other}: each cached registry needs its own ports`);
        continue;
      }
      const derived = entry.port + DEBUG_PORT_OFFSET;
      if (derived > 65535) {
        ctx.issues.push({ code: 'custom', input: entry.port, path: ['registries', entry.registry, 'port'], message: `leaves no room for the debug server at port + ${DEBUG_PORT_OFFSET}: set debugPort` });
      } else {
        claim(entry.registry, 'port', derived, owner, (other) => `puts the debug server on port + ${DEBUG_PORT_OFFSET} = ${derived}, which is also ${other}: set debugPort or another port`);
      }
    }
  });

export type CacheSettings = z.output<typeof cacheSchema>;

/** One cached registry with its settings filled in. */
export interface CachedRegistry {
  registry: string;
  port: number;
  /** Where its Distribution debug server (`/debug/vars`, the proxy's hit and miss counters) listens on 127.0.0.1. */
  debugPort: number;
  remote: string;
  credentials: boolean;
}

/** The registries the settings cache, defaults first, then the file's own additions. */
export function cachedRegistries(settings: Pick<CacheSettings, 'registries'>): CachedRegistry[] {
  return listRegistries(settings.registries).flatMap(({ port, debugPort, ...rest }) =>
    port === undefined ? [] : [{ ...rest, port, debugPort: debugPort ?? port + DEBUG_PORT_OFFSET }]);
}

type ListedRegistry = Omit<CachedRegistry, 'port' | 'debugPort'> & { port: number | undefined; debugPort: number | undefined };

// Before validation a registry outside the default set may lack its port.
function listRegistries(own: CacheSettings['registries']): ListedRegistry[] {
  const list: ListedRegistry[] = [];
  for (const d of defaultCacheRegistries) {
    const entry = own[d.registry];
    if (entry === false) continue;
    list.push({ registry: d.registry, port: entry?.port ?? d.port, debugPort: entry?.debugPort, remote: entry?.remote ?? d.remote, credentials: entry?.credentials ?? false });
  }
  for (const [registry, entry] of Object.entries(own)) {
    if (entry === false || defaultCacheRegistries.some((d) => d.registry === registry)) continue;
    list.push({ registry, port: entry.port, debugPort: entry.debugPort, remote: entry.remote ?? `https://${registry}`, credentials: entry.credentials });
  }
  return list;
}

/** The bytes `maxSize` allows. */
export function maxSizeBytes(settings: Pick<CacheSettings, 'maxSize'>): number {
  return typeof settings.maxSize === 'number' ? settings.maxSize : parseSize(settings.maxSize) ?? 0;
}

/** The keys the `cache` section and a cached registry may have, for "did you mean" hints. */
export const cacheKeys: readonly string[] = ['enabled', 'image', 'network', 'ttl', 'maxSize', 'registries'];
export const cacheRegistryKeys: readonly string[] = Object.keys(cacheRegistrySchema.shape);
