import { describe, expect, it } from 'vitest';
import { cachedRegistries, maxSizeBytes, parseSize } from '#shared/config/cache-schema';
import { configSchema } from '#shared/config/schema';
import { formatProblem, parseConfigText, validateConfig } from '#shared/config/validate';
import { configToYaml } from '#shared/config/to-yaml';

const problemOf = (text: string) => {
  const parsed = parseConfigText(text, 'config.yaml');
  if (parsed.ok) throw new Error('expected a problem');
  return formatProblem(parsed.problem);
};

describe('the cache section', () => {
  it('caches the seven common registries by default, on 127.0.0.1:5050-5056', () => {
    const { cache } = configSchema.parse({ version: 1 });
    expect(cache.enabled).toBe(true);
    expect(cachedRegistries(cache).map((r) => `${r.registry} ${r.port} ${r.remote}`)).toEqual([
      'docker.io 5050 https://registry-1.docker.io',
      'ghcr.io 5051 https://ghcr.io',
      'quay.io 5052 https://quay.io',
      'registry.k8s.io 5053 https://registry.k8s.io',
      'gcr.io 5054 https://gcr.io',
      'public.ecr.aws 5055 https://public.ecr.aws',
      'mcr.microsoft.com 5056 https://mcr.microsoft.com',
    ]);
    expect(maxSizeBytes(cache)).toBe(20e9);
  });

  it('takes the issue example: own ports and remotes, `false` removes a registry, new ones need a port', () => {
    const { cache } = configSchema.parse({
      version: 1,
      cache: {
        image: 'registry:2', network: 'host', ttl: '24h', maxSize: '512MiB',
        registries: { 'docker.io': { port: 6000, remote: 'http://127.0.0.1:7000' }, 'quay.io': false, 'registry.corp:8443': { port: 6001, debugPort: 7001, credentials: true } },
      },
    });
    const list = cachedRegistries(cache);
    expect(list.find((r) => r.registry === 'docker.io')).toEqual({ registry: 'docker.io', port: 6000, debugPort: 6100, remote: 'http://127.0.0.1:7000', credentials: false });
    expect(list.some((r) => r.registry === 'quay.io')).toBe(false);
    expect(list.at(-1)).toEqual({ registry: 'registry.corp:8443', port: 6001, debugPort: 7001, remote: 'https://registry.corp:8443', credentials: true });
    expect(maxSizeBytes(cache)).toBe(512 * 2 ** 20);
  });

  it('reads sizes as people write them', () => {
    expect(parseSize('20GB')).toBe(20e9);
    expect(parseSize('1.5 GiB')).toBe(1.5 * 2 ** 30);
    expect(parseSize('1000')).toBe(1000);
    expect(parseSize('20 gigs')).toBeUndefined();
  });

  it('rejects bad settings with file:line: field like the rules', () => {
    expect(problemOf('version: 1\ncache:\n  network: overlay\n')).toBe(
      'config.yaml:3: cache.network: must be bridge (publish 127.0.0.1:PORT) or host (listen on 127.0.0.1:PORT in the host network)',
    );
    expect(problemOf('version: 1\ncache:\n  maxSize: lots\n')).toBe('config.yaml:3: cache.maxSize: must be a size such as 20GB, 512MiB or a number of bytes');
    expect(problemOf('version: 1\ncache:\n  ttl: 7 days\n')).toBe('config.yaml:3: cache.ttl: must be a duration such as 168h or 30m');
    expect(problemOf('version: 1\ncache:\n  registries:\n    docker.io: {port: 70000}\n')).toBe('config.yaml:4: cache.registries.docker.io.port: must be 1 to 65535');
    expect(problemOf('version: 1\ncache:\n  registries:\n    ghcr.io: {port: 5050}\n')).toBe(
      'config.yaml:4: cache.registries.ghcr.io.port: is also the port of docker.io: each cached registry needs its own port',
    );
    // The debug server (hit and miss counters) takes port + 100 unless debugPort says otherwise.
    expect(problemOf('version: 1\ncache:\n  registries:\n    ghcr.io: {port: 5150}\n')).toBe(
      'config.yaml:4: cache.registries.ghcr.io.port: is also the debug server port of docker.io: each cached registry needs its own port',
    );
    expect(problemOf('version: 1\ncache:\n  registries:\n    ghcr.io: {port: 5001}\n    registry.corp: {port: 4901}\n')).toBe(
      'config.yaml:5: cache.registries.registry.corp.port: puts the debug server on port + 100 = 5001, which is also the port of ghcr.io: set debugPort or another port',
    );
    expect(problemOf('version: 1\ncache:\n  registries:\n    ghcr.io: {debugPort: 5050}\n')).toBe(
      'config.yaml:4: cache.registries.ghcr.io.debugPort: is also the port of docker.io: each cached registry needs its own ports',
    );
    expect(problemOf('version: 1\ncache:\n  registries:\n    docker.io: {port: 65500}\n')).toBe(
      'config.yaml:4: cache.registries.docker.io.port: leaves no room for the debug server at port + 100: set debugPort',
    );
    expect(problemOf('version: 1\ncache:\n  registries:\n    registry.corp: {remote: "https://registry.corp"}\n')).toBe(
      'config.yaml:4: cache.registries.registry.corp.port: is required for a registry that is not in the default set',
    );
    expect(problemOf('version: 1\ncache:\n  registries:\n    docker.io: {remote: "https://user:pw@hub.example"}\n')).toMatch(/^config\.yaml:4: cache\.registries\.docker\.io\.remote: must be an http\(s\) URL/);
    expect(problemOf('version: 1\ncache:\n  registries:\n    ghcr.io/owner: {port: 6000}\n')).toBe(
      'config.yaml:4: cache.registries.ghcr.io/owner: must be a registry (a domain with an optional port), not a repository path',
    );
    expect(problemOf('version: 1\ncache:\n  maxsize: 1GB\n')).toBe('config.yaml:3: cache.maxsize: is not a known key: did you mean maxSize?');
    expect(problemOf('version: 1\ncache:\n  registries:\n    docker.io: {prot: 6000}\n')).toBe('config.yaml:4: cache.registries.docker.io.prot: is not a known key: did you mean port?');
  });

  it('lists every problem for the editor form, by dotted field', () => {
    const result = validateConfig({ version: 1, cache: { enabled: 'yes', image: '', registries: { 'docker.io': { port: 0 } } } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => i.field)).toEqual(['cache.enabled', 'cache.image', 'cache.registries.docker.io.port']);
    }
  });

  it('writes a cache section only once it differs from the defaults, and reads back what it wrote', () => {
    const plain = configSchema.parse({ version: 1 });
    expect(configToYaml(plain)).not.toContain('cache');
    const changed = configSchema.parse({ version: 1, cache: { enabled: false, registries: { 'ghcr.io': false } } });
    const text = configToYaml(changed);
    const back = parseConfigText(text, 'config.yaml');
    expect(back.ok && back.config.cache).toEqual(changed.cache);
  });
});
