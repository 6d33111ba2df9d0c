// The local cache's containers on the real dockerd, driven by the built CLI (`cache status|up|down|clear`)
// and by the CacheManager the engine uses: labelled containers and volumes, the reasons a cache
// cannot start, maxSize eviction with Distribution's garbage-collect, and never touching what
// docker-caching did not create.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '#shared/config/schema';
import { cachedRegistries } from '#shared/config/cache-schema';
import { CacheManager } from '../../main/engine/cache/cache-manager';
import { createEngineCaches } from '../../main/engine/cache/engine-caches';
import { rememberedCredentials } from '../../main/engine/rewrite/remembered-credentials';
import { upstreamLogin } from '../../main/engine/cache/cache-setup';
import { cacheName, containerSpec, IDENTITY_HEADER } from '../../main/engine/cache/cache-specs';
import { EngineClient } from '../../main/engine/upstream/engine-client';
import { parseUpstream } from '../../main/engine/upstream/upstream';
import { docker, importBusyboxImage, startRegistry } from '../harness/real-docker';
import { CLI } from '../harness/serve';
import { until } from '../harness/wait';
import { cachedBlobs, cachedRepositories, cacheConfigText, registryImage, removeCaches, writeCacheConfig } from '../harness/cache-fixture';
import { freePort } from '../harness/free-port';

let host: string;
let origin: string;
let image: string;
const made: string[] = [];
const dirs: string[] = [];

beforeAll(() => {
  host = inject('dockerHost');
  origin = inject('origin');
  image = registryImage(host);
});
afterEach(() => {
  removeCaches(host, made.splice(0));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
/** A registry name of this test's own, so no two tests share a cache container. */
function testRegistry(): string {
  const registry = `cache${process.pid}x${++seq}.test`;
  made.push(cacheName(registry));
  return registry;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dc-cache-mgr-'));
  dirs.push(dir);
  return dir;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [CLI, 'cache', ...args, '--upstream', host], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, DOCKER_HOST: '', ...env } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const inspectLabels = (kind: 'container' | 'volume', name: string) =>
  JSON.parse(docker(host, [kind, 'inspect', '--format', '{{json .' + (kind === 'container' ? 'Config.Labels' : 'Labels') + '}}', name])) as Record<string, string>;

describe('cache status|up|down|clear', () => {
  it('up makes a labelled container and volume and starts it; status shows it; down keeps the volume; clear removes it', async () => {
    const registry = testRegistry();
    const port = await freePort();
    const config = writeCacheConfig({ image, registries: { [registry]: { port, remote: `http://${origin}` } } }, tempDir());

    const before = cli(['status', '--json', '--config', config]);
    expect(before.code).toBe(0);
    expect(before.stdout.trim().split('\n').map((l) => JSON.parse(l))).toEqual([
      { registry, port, state: 'not started', container: null, sizeBytes: null, remote: `http://${origin}` },
    ]);

    const up = cli(['up', '--config', config]);
    expect(up.stderr).toBe('');
    expect(up.stdout).toBe(`${registry}: running at 127.0.0.1:${port}\n`);
    expect(up.code).toBe(0);
    expect(inspectLabels('container', cacheName(registry))).toMatchObject({ 'io.docker-caching.owner': 'docker-caching', 'io.docker-caching.cache.registry': registry });
    expect(inspectLabels('volume', cacheName(registry))).toEqual({ 'io.docker-caching.owner': 'docker-caching', 'io.docker-caching.cache.registry': registry });
    expect(docker(host, ['container', 'inspect', '--format', '{{.HostConfig.RestartPolicy.Name}}', cacheName(registry)]).trim()).toBe('unless-stopped');
    // It serves: Distribution answers on the port, in the engine's network namespace.
    expect((await fetch(`http://127.0.0.1:${port}/v2/`)).status).toBe(200);

    const running = JSON.parse(cli(['status', '--json', '--config', config]).stdout) as Record<string, unknown>;
    expect(running).toMatchObject({ registry, port, state: 'running', container: cacheName(registry) });
    expect(typeof running.sizeBytes).toBe('number');
    const text = cli(['status', registry, '--config', config]).stdout;
    expect(text).toMatch(/^local cache: on, .* of 20\.00GB on unix:\/\//);
    expect(text).toContain(`${registry}`);
    expect(text).toContain('running');

    const down = cli(['down', '--json', '--config', config]);
    expect(JSON.parse(down.stdout)).toEqual({ removed: [cacheName(registry)] });
    expect(docker(host, ['ps', '-a', '--filter', `name=^${cacheName(registry)}$`, '--format', '{{.Names}}']).trim()).toBe('');
    expect(docker(host, ['volume', 'ls', '--filter', `name=^${cacheName(registry)}$`, '--format', '{{.Name}}']).trim()).toBe(cacheName(registry));
    expect(JSON.parse(cli(['status', '--json', '--config', config]).stdout)).toMatchObject({ state: 'not started', container: null });

    const clear = cli(['clear', registry, '--config', config]);
    expect(clear.stdout).toBe(`removed ${cacheName(registry)}\n`);
    expect(docker(host, ['volume', 'ls', '--filter', `name=^${cacheName(registry)}$`, '--format', '{{.Name}}']).trim()).toBe('');
  });

  it('rejects an invalid cache section with file:line: field, and a registry the config does not cache', () => {
    const dir = tempDir();
    const config = join(dir, 'config.yaml');
    writeFileSync(config, 'version: 1\ncache:\n  network: overlay\n');
    const bad = cli(['status', '--config', config]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe(`docker-caching cache: ${config}:3: cache.network: must be bridge (publish 127.0.0.1:PORT) or host (listen on 127.0.0.1:PORT in the host network)\n`);
    const good = writeCacheConfig({ image, registries: {} }, tempDir());
    const unknown = cli(['up', 'nowhere.test', '--config', good]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('nowhere.test is not a cached registry');
    const usage = cli(['launch', '--config', good]);
    expect(usage.code).toBe(2);
  });

  it('reports why a cache cannot start: its image missing, its port taken', async () => {
    const registry = testRegistry();
    const port = await freePort();
    const missing = writeCacheConfig({ image: 'dc-test/no-such-registry:0', registries: { [registry]: { port, remote: `http://${origin}` } } }, tempDir());
    const noImage = cli(['up', '--config', missing]);
    expect(noImage.code).toBe(1);
    expect(noImage.stdout).toContain(`${registry}: the local cache for ${registry} cannot be used: the cache image dc-test/no-such-registry:0 is not on the engine and cannot be pulled`);

    const holder: Server = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    try {
      const taken = writeCacheConfig({ image, registries: { [registry]: { port, remote: `http://${origin}` } } }, tempDir());
      const res = cli(['up', '--config', taken]);
      expect(res.code).toBe(1);
      expect(res.stdout).toContain(`listen tcp 127.0.0.1:${port}: bind: address already in use`);
      // Stopped, so its restart policy does not keep it failing in a loop.
      expect(docker(host, ['container', 'inspect', '--format', '{{.State.Status}}', cacheName(registry)]).trim()).toBe('exited');
    } finally {
      holder.close();
    }
  });

  it('never takes another registry answering /v2/ at its port for the cache: up fails with the bind error', async () => {
    const registry = testRegistry();
    const port = await freePort();
    const impostor = await startRegistry({ port });
    try {
      expect((await fetch(`http://127.0.0.1:${port}/v2/`)).status).toBe(200);
      const config = writeCacheConfig({ image, registries: { [registry]: { port, remote: `http://${origin}` } } }, tempDir());
      const res = cli(['up', '--config', config]);
      expect(res.stdout).toBe(`${registry}: the local cache for ${registry} cannot be used: its container stopped: listen tcp 127.0.0.1:${port}: bind: address already in use; choose another port for this registry in the cache settings\n`);
      expect(res.code).toBe(1);
      expect(docker(host, ['container', 'inspect', '--format', '{{.State.Status}}', cacheName(registry)]).trim()).toBe('exited');
    } finally {
      await impostor.stop();
      rmSync(impostor.dir, { recursive: true, force: true });
    }
  });

  it('answers every request with its container\'s own identity; a container made before identities is made again once (volume kept), then kept', async () => {
    const registry = testRegistry();
    const port = await freePort();
    const home = tempDir();
    const config = writeCacheConfig({ image, registries: { [registry]: { port, remote: `http://${origin}` } } }, home);
    const settings = () => configSchema.parse(parse(readFileSync(config, 'utf8'))).cache;
    const entry = cachedRegistries(settings()).find((r) => r.registry === registry)!;
    const id = () => docker(host, ['container', 'inspect', '--format', '{{.Id}}', cacheName(registry)]).trim();
    const identity = () => (/REGISTRY_HTTP_HEADERS_X-DOCKER-CACHING-CACHE=\[([0-9a-f]+)\]/.exec(docker(host, ['container', 'inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', cacheName(registry)])) ?? [])[1];
    const engine = new EngineClient(() => parseUpstream(host));
    try {
      // As an earlier docker-caching made it: the same spec, labels and volume, no identity.
      const spec = containerSpec(settings(), entry, '00') as { Env: string[] };
      spec.Env = spec.Env.filter((v) => !v.startsWith('REGISTRY_HTTP_HEADERS_'));
      docker(host, ['volume', 'create', '--label', 'io.docker-caching.owner=docker-caching', '--label', `io.docker-caching.cache.registry=${registry}`, cacheName(registry)]);
      const created = await engine.call('POST', `/containers/create?name=${cacheName(registry)}`, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(spec) });
      expect(created.status).toBe(201);
      const old = id();
      expect(identity()).toBeUndefined();
      const onVolume = (command: string) => docker(host, ['run', '--rm', '--network', 'none', '-v', `${cacheName(registry)}:/var/lib/registry`, '--entrypoint', 'sh', image, '-c', command]);
      onVolume('echo kept > /var/lib/registry/marker');

      const up = cli(['up', '--config', config]);
      expect(up.stdout).toBe(`${registry}: running at 127.0.0.1:${port} (made again: it was made by an earlier docker-caching, without the identity its port is checked by)\n`);
      const made = id();
      expect(made).not.toBe(old);
      expect(onVolume('cat /var/lib/registry/marker')).toBe('kept\n');
      const own = identity()!;
      expect(own).toMatch(/^[0-9a-f]{32}$/);
      // Distribution sends it on its answers, not only on /v2/.
      for (const path of ['/v2/', '/v2/_catalog', '/v2/library/nothing/manifests/1']) {
        expect((await fetch(`http://127.0.0.1:${port}${path}`)).headers.get(IDENTITY_HEADER)).toBe(own);
      }

      // Kept from then on, by `up` and by the engine's manager alike (which looks at the container
      // once, `started`, and from then on asks only its port for its identity).
      expect(cli(['up', '--config', config]).stdout).toBe(`${registry}: running at 127.0.0.1:${port}\n`);
      const manager = new CacheManager({ engine, settings, usagePath: join(home, 'cache-usage.json') });
      expect(await manager.ensure(registry)).toEqual({ ok: true, address: `127.0.0.1:${port}`, started: true });
      expect(await manager.ensure(registry)).toEqual({ ok: true, address: `127.0.0.1:${port}` });
      expect([id(), identity()]).toEqual([made, own]);
    } finally {
      engine.close();
    }
  });

  it('never touches a container or volume it did not create, even with the same name', async () => {
    const registry = testRegistry();
    const port = await freePort();
    const name = cacheName(registry);
    docker(host, ['volume', 'create', name]);
    docker(host, ['create', '--name', name, '--network', 'none', image]);
    const config = writeCacheConfig({ image, registries: { [registry]: { port, remote: `http://${origin}` } } }, tempDir());
    const up = cli(['up', '--config', config]);
    expect(up.code).toBe(1);
    expect(up.stdout).toContain(`a container named ${name} exists that docker-caching did not create; it is left alone`);
    cli(['down', '--config', config]);
    cli(['clear', registry, '--config', config]);
    expect(docker(host, ['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Names}}']).trim()).toBe(name);
    expect(docker(host, ['volume', 'ls', '--filter', `name=^${name}$`, '--format', '{{.Name}}']).trim()).toBe(name);
    docker(host, ['rm', name]);
    const volumeOnly = cli(['up', '--config', config]);
    expect(volumeOnly.stdout).toContain(`a volume named ${name} exists that docker-caching did not create; it is left alone`);
    expect(docker(host, ['volume', 'inspect', '--format', '{{json .Labels}}', name]).trim()).toBe('null');
  });
});

describe('upstream credentials (credentials: true)', () => {
  it('gives the container the docker login of the host it fetches from and no other; a changed login makes it again (volume kept) on the next up or pull, said in `up` and the status; the same login keeps it', async () => {
    const registry = testRegistry();
    const port = await freePort();
    const home = tempDir();
    const config = writeCacheConfig({ image, registries: { [registry]: { port, remote: `http://${origin}`, credentials: true } } }, home);
    const dockerConfig = tempDir();
    /** What `docker login` leaves in config.json: one entry per host. */
    const loggedIn = (auths: Record<string, [user: string, password: string]>) => writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({
      auths: Object.fromEntries(Object.entries(auths).map(([h, [user, password]]) => [h, { auth: Buffer.from(`${user}:${password}`).toString('base64') }])),
    }));
    const up = () => cli(['up', '--config', config], { DOCKER_CONFIG: dockerConfig });
    const env = () => docker(host, ['container', 'inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', cacheName(registry)]);
    const id = () => docker(host, ['container', 'inspect', '--format', '{{.Id}}', cacheName(registry)]).trim();
    /** Runs a shell command on the cache's volume (what it holds survives a container made again). */
    const onVolume = (command: string) => docker(host, ['run', '--rm', '--network', 'none', '-v', `${cacheName(registry)}:/var/lib/registry`, '--entrypoint', 'sh', image, '-c', command]);

    // Logins for other hosts, the cache's own registry name among them, never reach it.
    loggedIn({ [registry]: ['me', 'pw-for-the-name'], 'elsewhere.example': ['me', 'pw-elsewhere'] });
    expect(up().stdout).toBe(`${registry}: running at 127.0.0.1:${port}\n`);
    expect(env()).not.toMatch(/REGISTRY_PROXY_(USERNAME|PASSWORD)=/);
    const first = id();
    onVolume('echo kept > /var/lib/registry/marker');

    loggedIn({ [origin]: ['me', 'pw-one'] });
    expect(up().stdout).toBe(`${registry}: running at 127.0.0.1:${port} (made again: you logged in to ${origin})\n`);
    expect(env()).toContain('REGISTRY_PROXY_PASSWORD=pw-one');
    const second = id();
    expect(second).not.toBe(first);
    expect(up().stdout).toBe(`${registry}: running at 127.0.0.1:${port}\n`);
    expect(id()).toBe(second);

    // The engine's manager: the login the running container holds is read back, so the same one keeps it.
    const settings = () => configSchema.parse(parse(readFileSync(config, 'utf8'))).cache;
    const engine = new EngineClient(() => parseUpstream(host));
    const credentials = rememberedCredentials({ env: { DOCKER_CONFIG: dockerConfig }, home });
    const manager = new CacheManager({ engine, settings, usagePath: join(home, 'cache-usage.json'), login: (h) => upstreamLogin(h, credentials) });
    try {
      expect(await manager.ensure(registry)).toEqual({ ok: true, address: `127.0.0.1:${port}`, started: true });
      expect(id()).toBe(second);
      loggedIn({ [origin]: ['me', 'pw-two'] });
      const reason = `your docker login for ${origin} changed`;
      expect(await manager.ensure(registry)).toEqual({ ok: true, address: `127.0.0.1:${port}`, recreated: reason, started: true });
      expect(env()).toContain('REGISTRY_PROXY_PASSWORD=pw-two');
      const status = await manager.status();
      expect(status.registries).toEqual([expect.objectContaining({ registry, state: 'running', recreated: reason })]);
      expect(JSON.stringify(status)).not.toContain('pw-');
      expect(onVolume('cat /var/lib/registry/marker')).toBe('kept\n');
      // Noticed without asking the engine again: the next pull with the same login finds it ready.
      expect(await manager.ensure(registry)).toEqual({ ok: true, address: `127.0.0.1:${port}` });
      expect(JSON.stringify(inspectLabels('container', cacheName(registry)))).not.toContain('pw-');
    } finally {
      engine.close();
    }
  });
});

describe('maxSize eviction', () => {
  it('removes the least recently pulled repository and frees its blobs, keeping the rest', async () => {
    const registry = testRegistry();
    const port = await freePort();
    const names = ['evict-old', 'evict-new'].map((n) => `library/${n}${process.pid}`);
    for (const name of names) {
      importBusyboxImage(host, `${origin}/${name}:1`, `${name} ${Date.now()}`);
      docker(host, ['push', `${origin}/${name}:1`]);
      docker(host, ['rmi', `${origin}/${name}:1`]);
    }
    let maxSize = '10GB';
    const file = parse(cacheConfigText({ image, registries: { [registry]: { port, remote: `http://${origin}` } } })) as { cache: Record<string, unknown> };
    const settings = () => configSchema.parse({ version: 1, cache: { ...file.cache, maxSize } }).cache;
    const engine = new EngineClient(() => parseUpstream(host));
    const manager = new CacheManager({ engine, settings, usagePath: join(tempDir(), 'cache-usage.json') });
    try {
      expect(await manager.ensure(registry)).toEqual({ ok: true, address: `127.0.0.1:${port}`, started: true });
      for (const [i, name] of names.entries()) {
        docker(host, ['pull', `127.0.0.1:${port}/${name}:1`]);
        docker(host, ['rmi', `127.0.0.1:${port}/${name}:1`]);
        expect(await manager.recordPull(registry, name)).toEqual([]);
        const recorded = Date.now();
        if (i === 0) await until('the clock to move past the first pull', () => Date.now() > recorded); // no tie
      }
      const volume = cacheName(registry);
      expect(cachedRepositories(host, volume)).toEqual([...names].sort());
      const blobsBefore = cachedBlobs(host, volume);
      const sizeBefore = (await manager.status()).totalBytes;

      // Room for one image, not two: the older pull goes.
      maxSize = String(Math.floor(sizeBefore * 0.75));
      expect(await manager.enforceMaxSize()).toEqual([{ registry, repository: names[0] }]);
      expect(cachedRepositories(host, volume)).toEqual([names[1]]);
      const blobsAfter = cachedBlobs(host, volume);
      expect(blobsAfter.length).toBeLessThan(blobsBefore.length);
      expect((await manager.status()).totalBytes).toBeLessThan(sizeBefore * 0.75);
      // The cache is running again and still serves what it kept.
      expect((await manager.status()).registries[0]).toMatchObject({ registry, state: 'running' });
      docker(host, ['pull', `127.0.0.1:${port}/${names[1]}:1`]);
      docker(host, ['rmi', `127.0.0.1:${port}/${names[1]}:1`]);
    } finally {
      engine.close();
    }
  });

  it('after a restart, the first refresh measures the caches and evicts when they are over a maxSize lowered meanwhile', async () => {
    const registry = testRegistry();
    const port = await freePort();
    const names = ['restart-old', 'restart-new'].map((n) => `library/${n}${process.pid}`);
    for (const name of names) {
      importBusyboxImage(host, `${origin}/${name}:1`, `${name} ${Date.now()}`);
      docker(host, ['push', `${origin}/${name}:1`]);
      docker(host, ['rmi', `${origin}/${name}:1`]);
    }
    const home = tempDir();
    const configPath = join(home, 'config.yaml');
    let maxSize = '10GB';
    const file = parse(cacheConfigText({ image, registries: { [registry]: { port, remote: `http://${origin}` } } })) as { cache: Record<string, unknown> };
    const config = () => configSchema.parse({ version: 1, cache: { ...file.cache, maxSize } });
    const engine = new EngineClient(() => parseUpstream(host));
    try {
      const before = createEngineCaches({ engine, config, configPath, credentials: rememberedCredentials({ env: {}, home }) });
      expect((await before.ensure(registry)).ok).toBe(true);
      for (const [i, name] of names.entries()) {
        docker(host, ['pull', `127.0.0.1:${port}/${name}:1`]);
        docker(host, ['rmi', `127.0.0.1:${port}/${name}:1`]);
        await before.pulled(registry, name, { kind: 'unknown', reason: 'told by the test' });
        const recorded = Date.now();
        if (i === 0) await until('the clock to move past the first pull', () => Date.now() > recorded); // no tie
      }
      const volume = cacheName(registry);
      expect(cachedRepositories(host, volume)).toEqual([...names].sort());
      const size = before.snapshot()!.totalBytes;
      expect(size).toBeGreaterThan(0);

      // The engine starts again with room for one image, not two: its first refresh measures, and the older pull goes.
      maxSize = String(Math.floor(size * 0.75));
      const after = createEngineCaches({ engine, config, configPath, credentials: rememberedCredentials({ env: {}, home }) });
      await after.refresh();
      await until('the older repository to be evicted', () => cachedRepositories(host, volume).length === 1, 60_000);
      expect(cachedRepositories(host, volume)).toEqual([names[1]]);
      await until('the measure after the eviction', () => (after.snapshot()?.totalBytes ?? size) < size * 0.75, 60_000);
      expect(after.snapshot()?.error).toBeUndefined();
    } finally {
      engine.close();
    }
  });
});
