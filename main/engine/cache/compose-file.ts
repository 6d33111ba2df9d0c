// `docker-caching cache compose`: the same caches for one shared host, as a compose file
// (one Distribution service per registry, a volume each, TLS certificate paths, a health
// check). Pure: builds text, never writes it anywhere, never holds a credential.
import { stringify } from 'yaml';
import { cachedRegistries, type CacheSettings } from '#shared/config/cache-schema';
import { CONFIG_FILE, DATA_DIR } from './cache-specs';

const HEADER = `# Shared pull-through caches made by \`docker-caching cache compose\`.
# Put the host's TLS certificate and key in ./certs (cache.crt, cache.key), then
# \`docker compose up -d\`. Point clients at it with a rule per registry, for example:
#   rules:
#     - {from: docker.io, to: cache.example.com:5050}
# Upstream logins: add REGISTRY_PROXY_USERNAME and REGISTRY_PROXY_PASSWORD to a service
# (from an env file, never committed). Storage: see README, "A shared cache host".
`;

function serviceName(registry: string): string {
  return `cache-${registry.replace(/[^a-zA-Z0-9]+/g, '-')}`;
}

/** The compose file text for the caches `settings` enable (or just `only`). */
export function composeFile(settings: CacheSettings, only?: string): string {
  const services: Record<string, unknown> = {};
  const volumes: Record<string, null> = {};
  for (const entry of cachedRegistries(settings)) {
    if (only !== undefined && entry.registry !== only) continue;
    const name = serviceName(entry.registry);
    volumes[name] = null;
    services[name] = {
      image: settings.image,
      restart: 'unless-stopped',
      ports: [`${entry.port}:5000`],
      environment: {
        REGISTRY_PROXY_REMOTEURL: entry.remote,
        REGISTRY_PROXY_TTL: settings.ttl,
        REGISTRY_STORAGE_DELETE_ENABLED: 'true',
        REGISTRY_HTTP_TLS_CERTIFICATE: '/certs/cache.crt',
        REGISTRY_HTTP_TLS_KEY: '/certs/cache.key',
      },
      volumes: [`${name}:${DATA_DIR}`, './certs:/certs:ro'],
      command: ['serve', CONFIG_FILE],
      entrypoint: ['registry'],
      healthcheck: {
        test: ['CMD', 'wget', '-q', '-O', '/dev/null', '--no-check-certificate', 'https://127.0.0.1:5000/v2/'],
        interval: '30s',
        timeout: '5s',
        retries: 3,
      },
    };
  }
  return HEADER + stringify({ services, volumes }, { lineWidth: 0 });
}
