import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cachedRegistries, cacheSchema } from '#shared/config/cache-schema';
import { cacheName, containerSpec, evictionSpec, fingerprint, identityInEnv, isOwn, loginChange, loginHost, loginInEnv, ownLabels } from '../../main/engine/cache/cache-specs';
import { nextEviction } from '../../main/engine/cache/eviction';
import { composeFile } from '../../main/engine/cache/compose-file';

const settings = cacheSchema.parse({ image: 'registry:2' });
const hub = cachedRegistries(settings)[0]!;
const ID = '0123456789abcdef0123456789abcdef';

describe('cache container specs', () => {
  it('names containers and volumes after the registry, a port as -port', () => {
    expect(cacheName('docker.io')).toBe('docker-caching-cache-docker.io');
    expect(cacheName('registry.corp:8443')).toBe('docker-caching-cache-registry.corp-8443');
  });

  it('bridge: Distribution on :5000 published on 127.0.0.1:PORT, its debug server on 127.0.0.1:PORT+100 only, its own volume, unless-stopped, labelled', () => {
    const spec = containerSpec(settings, hub, ID) as { Env: string[]; Labels: Record<string, string>; HostConfig: Record<string, unknown>; Entrypoint: string[]; Cmd: string[] };
    expect(spec.Entrypoint).toEqual(['registry']);
    expect(spec.Cmd).toEqual(['serve', '/etc/docker/registry/config.yml']);
    expect(spec.Env).toEqual(expect.arrayContaining(['REGISTRY_HTTP_ADDR=:5000', 'REGISTRY_HTTP_DEBUG_ADDR=:5001', 'REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io', 'REGISTRY_PROXY_TTL=168h']));
    expect(spec.HostConfig).toMatchObject({
      NetworkMode: 'bridge',
      PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '5050' }], '5001/tcp': [{ HostIp: '127.0.0.1', HostPort: '5150' }] },
      Binds: ['docker-caching-cache-docker.io:/var/lib/registry'],
      RestartPolicy: { Name: 'unless-stopped' },
    });
    expect(isOwn(spec.Labels, 'docker.io')).toBe(true);
    expect(isOwn(spec.Labels, 'ghcr.io')).toBe(false);
    expect(isOwn({ 'io.docker-caching.cache.registry': 'docker.io' }, 'docker.io')).toBe(false);
  });

  it('host: listens on 127.0.0.1:PORT and its debug server on 127.0.0.1:debugPort itself, nothing published', () => {
    const spec = containerSpec({ ...settings, network: 'host' }, { ...hub, debugPort: 7050 }, ID) as { Env: string[]; HostConfig: Record<string, unknown> };
    expect(spec.Env).toContain('REGISTRY_HTTP_ADDR=127.0.0.1:5050');
    expect(spec.Env).toContain('REGISTRY_HTTP_DEBUG_ADDR=127.0.0.1:7050');
    expect(spec.HostConfig.NetworkMode).toBe('host');
    expect(spec.HostConfig.PortBindings).toBeUndefined();
  });

  it('gives every answer of the container its identity through Distribution\'s http.headers, read back from its environment, never in a label or the fingerprint', () => {
    const spec = containerSpec(settings, hub, ID) as { Env: string[]; Labels: Record<string, string> };
    expect(spec.Env).toContain(`REGISTRY_HTTP_HEADERS_X-DOCKER-CACHING-CACHE=[${ID}]`);
    expect(identityInEnv(spec.Env)).toBe(ID);
    expect(JSON.stringify(spec.Labels)).not.toContain(ID);
    // A container made before identities, or with a value that is not ours.
    expect(identityInEnv(spec.Env.filter((v) => !v.startsWith('REGISTRY_HTTP_HEADERS_')))).toBeUndefined();
    expect(identityInEnv(['REGISTRY_HTTP_HEADERS_X-DOCKER-CACHING-CACHE=nosniff'])).toBeUndefined();
    expect(identityInEnv(null)).toBeUndefined();
    expect(() => containerSpec(settings, hub, 'a]\nb')).toThrow('a cache identity is hex digits');
  });

  it('puts a login only in the environment, never in a label or the fingerprint', () => {
    const spec = containerSpec(settings, { ...hub, credentials: true }, ID, { username: 'me', password: 's3cret-pw' });
    expect((spec.Env as string[])).toEqual(expect.arrayContaining(['REGISTRY_PROXY_USERNAME=me', 'REGISTRY_PROXY_PASSWORD=s3cret-pw']));
    expect(JSON.stringify(spec.Labels)).not.toContain('s3cret-pw');
  });

  it('reads back the login a container was given from its environment, and says how the user\'s login differs, naming only the host', () => {
    const given = containerSpec(settings, { ...hub, credentials: true }, ID, { username: 'me', password: 'pw=with=equals' }).Env as string[];
    expect(loginInEnv(given)).toEqual({ username: 'me', password: 'pw=with=equals' });
    expect(loginInEnv(containerSpec(settings, hub, ID).Env as string[])).toBeUndefined();
    expect(loginInEnv(null)).toBeUndefined();
    const me = { username: 'me', password: 'old-pw' };
    expect(loginChange(me, { ...me }, 'registry-1.docker.io')).toBeUndefined();
    expect(loginChange(undefined, undefined, 'registry-1.docker.io')).toBeUndefined();
    expect(loginChange(me, { ...me, password: 'new-pw' }, 'registry-1.docker.io')).toBe('your docker login for registry-1.docker.io changed');
    expect(loginChange(me, { ...me, username: 'you' }, 'registry-1.docker.io')).toBe('your docker login for registry-1.docker.io changed');
    expect(loginChange(undefined, me, 'ghcr.io')).toBe('you logged in to ghcr.io');
    expect(loginChange(me, undefined, 'ghcr.io')).toBe('you logged out of ghcr.io');
    for (const text of [loginChange(me, { ...me, password: 'new-pw' }, 'h'), loginChange(me, undefined, 'h')]) expect(text).not.toMatch(/old-pw|new-pw|\bme\b/);
  });

  it('takes the login of the host a cache fetches from, which is where it is sent', () => {
    expect(loginHost(hub)).toBe('registry-1.docker.io');
    expect(loginHost({ remote: 'https://registry.corp:8443' })).toBe('registry.corp:8443');
    expect(loginHost({ remote: 'https://mirror.gcr.io/' })).toBe('mirror.gcr.io');
    expect(loginHost({ remote: 'http://127.0.0.1:5000' })).toBe('127.0.0.1:5000');
  });

  it('changes the fingerprint when a setting the container is made from changes', () => {
    const base = fingerprint(settings, hub);
    expect(fingerprint(settings, { ...hub })).toBe(base);
    expect(fingerprint(settings, { ...hub, remote: 'http://127.0.0.1:1' })).not.toBe(base);
    expect(fingerprint(settings, { ...hub, debugPort: 7050 })).not.toBe(base);
    expect(fingerprint({ ...settings, network: 'host' }, hub)).not.toBe(base);
    expect(fingerprint({ ...settings, image: 'registry:3' }, hub)).not.toBe(base);
  });

  it('evicts by passing repository names as arguments, on no network, with our labels', () => {
    const spec = evictionSpec(settings, 'docker.io', ['library/alpine', '$(reboot)']) as { Entrypoint: string[]; Cmd: string[]; Labels: Record<string, string>; HostConfig: Record<string, unknown> };
    expect(spec.Cmd).toEqual(['library/alpine', '$(reboot)']);
    expect(spec.Entrypoint.join(' ')).not.toContain('library/alpine');
    expect(spec.Entrypoint[2]).toContain('registry garbage-collect');
    expect(spec.HostConfig.NetworkMode).toBe('none');
    expect(spec.Labels).toEqual(ownLabels('docker.io'));
  });
});

describe('eviction choice', () => {
  const uses = [
    { registry: 'docker.io', repository: 'library/alpine', lastPulled: 300 },
    { registry: 'ghcr.io', repository: 'owner/tool', lastPulled: 100 },
    { registry: 'docker.io', repository: 'library/busybox', lastPulled: 200 },
  ];
  it('takes the least recently pulled repository while the caches are over maxSize', () => {
    expect(nextEviction(uses, 2000, 1000)).toEqual(uses[1]);
  });
  it('evicts nothing while they fit, or when nothing known is left', () => {
    expect(nextEviction(uses, 1000, 1000)).toBeUndefined();
    expect(nextEviction([], 5000, 1000)).toBeUndefined();
  });
});

describe('cache compose', () => {
  it('gives one Distribution service per cached registry with a volume, TLS paths and a health check', () => {
    const file = parse(composeFile(cacheSchema.parse({ registries: { 'quay.io': false } }))) as {
      services: Record<string, { image: string; ports: string[]; environment: Record<string, string>; volumes: string[]; healthcheck: { test: string[] } }>;
      volumes: Record<string, null>;
    };
    expect(Object.keys(file.services)).toEqual(['cache-docker-io', 'cache-ghcr-io', 'cache-registry-k8s-io', 'cache-gcr-io', 'cache-public-ecr-aws', 'cache-mcr-microsoft-com']);
    const hubService = file.services['cache-docker-io']!;
    expect(hubService.ports).toEqual(['5050:5000']);
    expect(hubService.environment).toMatchObject({ REGISTRY_PROXY_REMOTEURL: 'https://registry-1.docker.io', REGISTRY_HTTP_TLS_CERTIFICATE: '/certs/cache.crt' });
    expect(hubService.volumes).toContain('cache-docker-io:/var/lib/registry');
    expect(hubService.healthcheck.test).toContain('https://127.0.0.1:5000/v2/');
    expect(Object.keys(file.volumes)).toContain('cache-docker-io');
  });
  it('gives just one service when asked for one registry', () => {
    const file = parse(composeFile(cacheSchema.parse({}), 'ghcr.io')) as { services: Record<string, unknown> };
    expect(Object.keys(file.services)).toEqual(['cache-ghcr-io']);
  });
});
