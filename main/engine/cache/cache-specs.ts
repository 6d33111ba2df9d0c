// What a cached registry's container and volume look like: names, the labels that mark them
// as docker-caching's, the Docker API bodies that create them, and the fingerprint that says
// when a running container no longer matches the settings, and the identity each container's
// Distribution answers with. Pure: no I/O, never holds a secret in a label or a fingerprint.
import { createHash } from 'node:crypto';
import type { CacheSettings, CachedRegistry } from '#shared/config/cache-schema';

/** The label every container and volume docker-caching makes carries. */
export const OWNER_LABEL = 'io.docker-caching.owner';
export const OWNER_VALUE = 'docker-caching';
/** The registry a cache container or volume serves. */
export const REGISTRY_LABEL = 'io.docker-caching.cache.registry';
/** The fingerprint of the settings a container was made with. */
export const SPEC_LABEL = 'io.docker-caching.cache.spec';

/** Where the image keeps its data and its config (registry:2's layout). */
export const DATA_DIR = '/var/lib/registry';
export const CONFIG_FILE = '/etc/docker/registry/config.yml';
const CONTAINER_PORT = 5000;
/** The debug server's port inside a bridge-network container (published on 127.0.0.1:debugPort). */
const CONTAINER_DEBUG_PORT = 5001;

/** `docker-caching-cache-docker.io`; a registry's `:port` becomes `-port`. */
export function cacheName(registry: string): string {
  return `docker-caching-cache-${registry.replace(/[^a-zA-Z0-9_.-]/g, '-')}`;
}

export function ownLabels(registry: string): Record<string, string> {
  return { [OWNER_LABEL]: OWNER_VALUE, [REGISTRY_LABEL]: registry };
}

/** Whether labels (of a container or volume) say docker-caching made it for `registry`. */
export function isOwn(labels: Record<string, string> | null | undefined, registry: string): boolean {
  return labels?.[OWNER_LABEL] === OWNER_VALUE && labels[REGISTRY_LABEL] === registry;
}

/** The `127.0.0.1:PORT` the engine pulls from. */
export function cacheAddress(entry: Pick<CachedRegistry, 'port'>): string {
  return `127.0.0.1:${entry.port}`;
}

/** The `127.0.0.1:PORT` of the cache's Distribution debug server (`/debug/vars`: its proxy counters). */
export function debugAddress(entry: Pick<CachedRegistry, 'debugPort'>): string {
  return `127.0.0.1:${entry.debugPort}`;
}

export interface UpstreamLogin {
  username: string;
  password: string;
}

const USERNAME_VAR = 'REGISTRY_PROXY_USERNAME=';
const PASSWORD_VAR = 'REGISTRY_PROXY_PASSWORD=';

/**
 * The host whose docker login a cache with `credentials: true` is given: the host it fetches
 * from (its `remote`), so a login only ever goes to the registry it was made for.
 */
export function loginHost(entry: Pick<CachedRegistry, 'remote'>): string {
  return new URL(entry.remote).host;
}

/** The upstream login a container was made with, read back from its environment (`Config.Env`). */
export function loginInEnv(env: readonly string[] | null | undefined): UpstreamLogin | undefined {
  const username = env?.find((v) => v.startsWith(USERNAME_VAR))?.slice(USERNAME_VAR.length);
  const password = env?.find((v) => v.startsWith(PASSWORD_VAR))?.slice(PASSWORD_VAR.length);
  return username !== undefined && password !== undefined ? { username, password } : undefined;
}

/**
 * Why a container given `before` must be made again for the user's login now (`after`), or
 * undefined when they are the same. Names the host, never the user or the password.
 */
export function loginChange(before: UpstreamLogin | undefined, after: UpstreamLogin | undefined, host: string): string | undefined {
  if (before?.username === after?.username && before?.password === after?.password) return undefined;
  if (!before) return `you logged in to ${host}`;
  if (!after) return `you logged out of ${host}`;
  return `your docker login for ${host} changed`;
}

/**
 * The response header a cache's Distribution sends on every answer, holding its container's
 * identity: proof that the server at its port is that container (cache-identity.ts).
 */
export const IDENTITY_HEADER = 'X-Docker-Caching-Cache';
// Distribution 2.8 and 3 read REGISTRY_HTTP_HEADERS_<NAME> into `http.headers`, the name
// lowercased (Go's Header.Set puts it back in canonical form), the value as YAML: a list.
const IDENTITY_VAR = `REGISTRY_HTTP_HEADERS_${IDENTITY_HEADER.toUpperCase()}=`;

/** The identity a container was given, read back from its environment (`Config.Env`); undefined for one made before identities. */
export function identityInEnv(env: readonly string[] | null | undefined): string | undefined {
  const value = env?.find((v) => v.startsWith(IDENTITY_VAR))?.slice(IDENTITY_VAR.length);
  return value ? /^\[([0-9a-f]+)\]$/.exec(value)?.[1] : undefined;
}

type Settings = Pick<CacheSettings, 'image' | 'network' | 'ttl'>;

/** The `POST /volumes/create` body. */
export function volumeSpec(registry: string): { Name: string; Labels: Record<string, string> } {
  return { Name: cacheName(registry), Labels: ownLabels(registry) };
}

/**
 * The `POST /containers/create` body: Distribution in proxy mode for one registry, its data
 * on the registry's own volume, restarted unless stopped, reachable at 127.0.0.1:PORT, its
 * debug server (the hit and miss counters) at 127.0.0.1:debugPort and nowhere else: in the
 * host network it binds loopback itself; in a bridge network only the container's own
 * namespace sees its port, published on 127.0.0.1 alone. Every answer carries `identity`
 * (hex) in IDENTITY_HEADER; it is no part of the fingerprint, so it never makes a container
 * differ from its settings.
 */
export function containerSpec(settings: Settings, entry: CachedRegistry, identity: string, login?: UpstreamLogin): Record<string, unknown> {
  if (!/^[0-9a-f]+$/.test(identity)) throw new Error(`a cache identity is hex digits, not ${JSON.stringify(identity)}`);
  const host = settings.network === 'host';
  const env = [
    `REGISTRY_HTTP_ADDR=${host ? cacheAddress(entry) : `:${CONTAINER_PORT}`}`,
    `REGISTRY_HTTP_DEBUG_ADDR=${host ? debugAddress(entry) : `:${CONTAINER_DEBUG_PORT}`}`,
    `REGISTRY_PROXY_REMOTEURL=${entry.remote}`,
    // Distribution 3 reads the TTL here; 2.8 ignores the variable and keeps its own 168h.
    `REGISTRY_PROXY_TTL=${settings.ttl}`,
    'REGISTRY_STORAGE_DELETE_ENABLED=true',
    `${IDENTITY_VAR}[${identity}]`,
    ...(login ? [`${USERNAME_VAR}${login.username}`, `${PASSWORD_VAR}${login.password}`] : []),
  ];
  const binding = {
    [`${CONTAINER_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(entry.port) }],
    [`${CONTAINER_DEBUG_PORT}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(entry.debugPort) }],
  };
  return {
    Image: settings.image,
    Entrypoint: ['registry'],
    Cmd: ['serve', CONFIG_FILE],
    Env: env,
    Labels: { ...ownLabels(entry.registry), [SPEC_LABEL]: fingerprint(settings, entry) },
    ...(host ? {} : { ExposedPorts: { [`${CONTAINER_PORT}/tcp`]: {}, [`${CONTAINER_DEBUG_PORT}/tcp`]: {} } }),
    HostConfig: {
      NetworkMode: host ? 'host' : 'bridge',
      ...(host ? {} : { PortBindings: binding }),
      Binds: [`${cacheName(entry.registry)}:${DATA_DIR}`],
      RestartPolicy: { Name: 'unless-stopped' },
    },
  };
}

/**
 * The one-off container that frees space: removes the given repositories from the volume,
 * then lets Distribution's `garbage-collect` delete the blobs nothing references any more.
 * Repository names pass as arguments, never as shell text.
 */
export function evictionSpec(settings: Pick<CacheSettings, 'image'>, registry: string, repositories: readonly string[]): Record<string, unknown> {
  const script = `cd ${DATA_DIR}/docker/registry/v2/repositories 2>/dev/null && rm -rf -- "$@"; exec registry garbage-collect --delete-untagged ${CONFIG_FILE}`;
  return {
    Image: settings.image,
    Entrypoint: ['sh', '-c', script, 'evict'],
    Cmd: [...repositories],
    Labels: ownLabels(registry),
    HostConfig: { NetworkMode: 'none', Binds: [`${cacheName(registry)}:${DATA_DIR}`] },
  };
}

/** Changes when a setting the container is made from changes (never from a password itself). */
export function fingerprint(settings: Settings, entry: CachedRegistry): string {
  const text = JSON.stringify([settings.image, settings.network, settings.ttl, entry.registry, entry.port, entry.debugPort, entry.remote, entry.credentials]);
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
