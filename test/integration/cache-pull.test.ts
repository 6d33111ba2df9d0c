// Pulls through `serve` that go through the local cache, on the real dockerd, with a
// Distribution cache container made from the registry image and a local "upstream" registry
// standing in for Docker Hub: lazy start, original names, offline pulls from the cache,
// explicit rules first, fallback with the reason when the cache cannot be used, hot reload,
// simultaneous pulls, a cache container removed by hand, and another registry at a cache's port
// never taken for the cache. Docker CLIs 28 and 20.10 and dockerode.
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { startEngine } from '../../main/engine/start';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { cacheName } from '../../main/engine/cache/cache-specs';
import { DOCKER_CLIS, docker, importBusyboxImage, startRegistry, type Registry } from '../harness/real-docker';
import { CLI, startServe, type Serve } from '../harness/serve';
import { until } from '../harness/wait';
import { cachedRepositories, cacheConfigText, registryImage, removeCaches } from '../harness/cache-fixture';
import { freePort } from '../harness/free-port';

let host: string;
let mirror: string;
let image: string;
let upstream: Registry;
const running: Serve[] = [];
const dirs: string[] = [];
const HUB_CACHE = cacheName('docker.io');

beforeAll(async () => {
  host = inject('dockerHost');
  mirror = inject('mirror');
  image = registryImage(host);
  upstream = await startRegistry({ port: await freePort() });
});
afterAll(async () => {
  await upstream.stop();
  rmSync(upstream.dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  removeCaches(host, [HUB_CACHE, cacheName(upstream.address)]);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
const unique = (base: string) => `${base}${process.pid}x${++seq}`;

/** Publishes a small image as `library/NAME:1` on the upstream registry; returns NAME. */
function publishOnUpstream(base: string): string {
  const name = unique(base);
  const ref = `${upstream.address}/library/${name}:1`;
  importBusyboxImage(host, ref, ref);
  docker(host, ['push', ref]);
  docker(host, ['rmi', ref]);
  return name;
}

async function serveWith(config: string): Promise<Serve> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-cache-pull-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'config.yaml'), config);
  const s = await startServe({ upstream: host, home: dir });
  running.push(s);
  return s;
}

const hubCacheConfig = async (extra: Partial<Parameters<typeof cacheConfigText>[0]> = {}) => {
  const port = await freePort();
  return { port, text: cacheConfigText({ image, registries: { 'docker.io': { port, remote: `http://${upstream.address}` } }, ...extra }) };
};

/** What an image says it is (its /marker): which registry's copy was pulled. */
const markerOf = (ref: string) => docker(host, ['run', '--rm', '--network', 'none', ref, 'cat', '/marker']).trim();

/** A registry that is not ours at `port` (a real Distribution), holding its own `library/NAME:1` for each name. */
async function impostorAt(port: number, names: string[]): Promise<Registry> {
  const impostor = await startRegistry({ port });
  for (const name of names) {
    const ref = `${impostor.address}/library/${name}:1`;
    importBusyboxImage(host, ref, 'impostor');
    docker(host, ['push', ref]);
    docker(host, ['rmi', ref]);
  }
  return impostor;
}

const containerNames = () => docker(host, ['ps', '-a', '--format', '{{.Names}}']).split('\n').filter(Boolean);
const imageNames = () => docker(host, ['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n').filter(Boolean);
const pullEntry = (s: Serve, name: string, n = 1) =>
  until(`pull ${n} of ${name}`, () => s.entries.filter((e) => e.route === 'pull' && e.rewrite?.original === `docker.io/library/${name}:1`).length >= n, 60_000)
    .then(() => s.entries.filter((e) => e.route === 'pull' && e.rewrite?.original === `docker.io/library/${name}:1`)[n - 1]!);

describe('pulls through the local cache', () => {
  it('fills the cache on the first pull (lazily started) and serves from it with the upstream stopped, with both docker CLIs', async () => {
    const own = await startRegistry({ port: await freePort() });
    const port = await freePort();
    const s = await serveWith(cacheConfigText({ image, registries: { 'docker.io': { port, remote: `http://${own.address}` } } }));
    const names = DOCKER_CLIS.map(() => {
      const name = unique('cached');
      const ref = `${own.address}/library/${name}:1`;
      importBusyboxImage(host, ref, ref);
      docker(host, ['push', ref]);
      docker(host, ['rmi', ref]);
      return name;
    });
    try {
      expect(containerNames()).not.toContain(HUB_CACHE);
      for (const [i, cli] of DOCKER_CLIS.entries()) {
        const out = docker(s.host, ['pull', `${names[i]}:1`], { cli });
        expect(out).toContain(`docker-caching: pulled docker.io/library/${names[i]}:1 from 127.0.0.1:${port}/library/${names[i]}:1, fetched from upstream: 1 of 1 layer`);
        const entry = await pullEntry(s, names[i]!);
        expect(entry.action).toBe('redirected');
        expect(entry.rewrite?.rule).toEqual({ index: -1, from: 'docker.io', name: 'local cache (docker.io)', cache: 'docker.io' });
        expect(entry.rewrite?.cache).toMatchObject({ registry: 'docker.io', outcome: 'used', served: { kind: 'miss', layersFetched: 1, layers: 1 } });
        // Under its original name, the mirror tag gone.
        expect(imageNames()).toContain(`${names[i]}:1`);
        expect(imageNames()).not.toContain(`127.0.0.1:${port}/library/${names[i]}:1`);
      }
      // Made by the first pull: labelled, with its volume.
      expect(docker(host, ['container', 'inspect', '--format', '{{index .Config.Labels "io.docker-caching.owner"}} {{.State.Status}}', HUB_CACHE]).trim()).toBe('docker-caching running');
      expect(docker(host, ['volume', 'inspect', '--format', '{{index .Labels "io.docker-caching.cache.registry"}}', HUB_CACHE]).trim()).toBe('docker.io');

      await own.stop();
      for (const [i, cli] of DOCKER_CLIS.entries()) {
        docker(host, ['rmi', `${names[i]}:1`]);
        const out = docker(s.host, ['pull', `${names[i]}:1`], { cli });
        expect(out).toContain(', served from cache, upstream unreachable');
        const entry = await pullEntry(s, names[i]!, 2);
        expect(entry.rewrite?.cache).toEqual({ registry: 'docker.io', outcome: 'used', upstreamUnreachable: true, served: { kind: 'hit' } });
        expect(imageNames()).toContain(`${names[i]}:1`);
        docker(host, ['rmi', `${names[i]}:1`]);
      }
    } finally {
      await own.stop();
      rmSync(own.dir, { recursive: true, force: true });
    }
  });

  it('serves dockerode, also two pulls of the same image at once', async () => {
    const name = publishOnUpstream('dockerode');
    const s = await serveWith((await hubCacheConfig()).text);
    const client = new Docker({ socketPath: s.socket });
    const pull = async () => {
      const stream = await client.pull(`${name}:1`);
      return new Promise<{ status?: string; error?: string }[]>((resolve, reject) => client.modem.followProgress(stream, (err, out) => (err ? reject(err) : resolve(out))));
    };
    const [a, b] = await Promise.all([pull(), pull()]);
    for (const out of [a, b]) {
      expect(out.some((m) => m.error)).toBe(false);
      expect(out.map((m) => m.status).join('\n')).toMatch(/docker-caching: pulled .*, (fetched from upstream|served from cache)/);
    }
    await until('both pulls logged', () => s.entries.filter((e) => e.route === 'pull').length >= 2);
    expect(s.entries.filter((e) => e.route === 'pull').map((e) => e.rewrite?.cache?.outcome)).toEqual(['used', 'used']);
    // One after the other (same repository): the first fetched it, the second found the cache filled.
    expect(s.entries.filter((e) => e.route === 'pull').map((e) => e.rewrite?.cache?.served?.kind).sort()).toEqual(['hit', 'miss']);
    expect(imageNames()).toContain(`${name}:1`);
    docker(host, ['rmi', `${name}:1`]);
  });

  it('lets an explicit rule win over the cache, and starts nothing when the cache is off', async () => {
    const name = unique('explicit');
    // The rule maps docker.io/library/NAME to MIRROR/NAME.
    importBusyboxImage(host, `${mirror}/${name}:1`, name);
    docker(host, ['push', `${mirror}/${name}:1`]);
    docker(host, ['rmi', `${mirror}/${name}:1`]);
    const s = await serveWith((await hubCacheConfig({ rules: `rules:\n  - {from: docker.io/library, to: "${mirror}"}` })).text);
    docker(s.host, ['pull', `${name}:1`]);
    const entry = await pullEntry(s, name);
    expect(entry.rewrite?.rule).toEqual({ index: 0, from: 'docker.io/library' });
    expect(entry.rewrite?.cache).toBeUndefined();
    expect(containerNames()).not.toContain(HUB_CACHE);
    docker(host, ['rmi', `${name}:1`]);

    const off = await serveWith((await hubCacheConfig({ enabled: false })).text);
    const other = publishOnUpstream('off');
    expect(() => docker(off.host, ['pull', `${other}:1`])).toThrow(/registry-1\.docker\.io/);
    const passed = await off.waitForEntry((e) => e.route === 'pull');
    expect(passed.rewrite).toBeUndefined();
    expect(containerNames()).not.toContain(HUB_CACHE);
  });

  it('falls back to the original registry with the reason when the cache image is missing or its port is taken', async () => {
    const name = publishOnUpstream('fallback');
    const port = await freePort();
    // Cache the upstream registry itself, so the original is there to fall back to.
    const cached = (img: string) => cacheConfigText({ image: img, registries: { [upstream.address]: { port, remote: `http://${upstream.address}` } } });
    const ref = `${upstream.address}/library/${name}:1`;

    const noImage = await serveWith(cached('dc-test/no-such-registry:0'));
    const out = docker(noImage.host, ['pull', ref]);
    expect(out).toContain(`skipped 127.0.0.1:${port}/library/${name}:1: the local cache for ${upstream.address} cannot be used: the cache image dc-test/no-such-registry:0 is not on the engine and cannot be pulled`);
    const entry = await noImage.waitForEntry((e) => e.route === 'pull');
    expect(entry.action).toBe('fell back');
    expect(entry.rewrite?.cache).toMatchObject({ registry: upstream.address, outcome: 'unavailable', reason: expect.stringContaining('dc-test/no-such-registry:0') });
    docker(host, ['rmi', ref]);
    await noImage.stop();

    const holder = createServer().listen(port, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    try {
      const taken = await serveWith(cached(image));
      const takenOut = docker(taken.host, ['pull', ref]);
      expect(takenOut).toContain(`listen tcp 127.0.0.1:${port}: bind: address already in use; choose another port for this registry in the cache settings`);
      const takenEntry = await taken.waitForEntry((e) => e.route === 'pull');
      expect(takenEntry.action).toBe('fell back');
      expect(takenEntry.rewrite?.cache?.outcome).toBe('unavailable');
      expect(imageNames()).toContain(ref);
      docker(host, ['rmi', ref]);
    } finally {
      holder.close();
    }
  });

  it('falls back with the bind error and the setting to change when the port of the cache\'s debug server is taken', async () => {
    const name = publishOnUpstream('debugtaken');
    const [port, debugPort] = [await freePort(), await freePort()];
    const ref = `${upstream.address}/library/${name}:1`;
    const holder = createServer().listen(debugPort, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    try {
      const s = await serveWith(cacheConfigText({ image, registries: { [upstream.address]: { port, debugPort, remote: `http://${upstream.address}` } } }));
      const out = docker(s.host, ['pull', ref]);
      expect(out).toContain(`the local cache for ${upstream.address} cannot be used: its container stopped: error listening on debug interface: listen tcp 127.0.0.1:${debugPort}: bind: address already in use; choose another debugPort for this registry in the cache settings`);
      const entry = await s.waitForEntry((e) => e.route === 'pull');
      expect(entry.action).toBe('fell back');
      expect(entry.rewrite?.cache?.reason).toContain('choose another debugPort');
      expect(imageNames()).toContain(ref);
      docker(host, ['rmi', ref]);
    } finally {
      holder.close();
    }
  });

  it('never takes another registry answering /v2/ at the cache\'s port for the cache: the pull falls back to the original with the bind error', async () => {
    const name = publishOnUpstream('impostor');
    const port = await freePort();
    const ref = `${upstream.address}/library/${name}:1`;
    const impostor = await impostorAt(port, [name]);
    try {
      const s = await serveWith(cacheConfigText({ image, registries: { [upstream.address]: { port, remote: `http://${upstream.address}` } } }));
      const out = docker(s.host, ['pull', ref]);
      expect(out).toContain(`skipped 127.0.0.1:${port}/library/${name}:1: the local cache for ${upstream.address} cannot be used: its container stopped: listen tcp 127.0.0.1:${port}: bind: address already in use`);
      const entry = await s.waitForEntry((e) => e.route === 'pull');
      expect(entry.action).toBe('fell back');
      expect(entry.rewrite?.cache?.outcome).toBe('unavailable');
      expect(markerOf(ref)).toBe(ref);
      expect(docker(host, ['container', 'inspect', '--format', '{{.State.Status}}', cacheName(upstream.address)]).trim()).toBe('exited');
      docker(host, ['rmi', ref]);
    } finally {
      await impostor.stop();
      rmSync(impostor.dir, { recursive: true, force: true });
    }
  });

  it('after its container is stopped by hand and another registry takes the port, the next pull falls back and never goes to that registry', async () => {
    const [first, second] = [publishOnUpstream('taken'), publishOnUpstream('taken')];
    const port = await freePort();
    const s = await serveWith(cacheConfigText({ image, registries: { [upstream.address]: { port, remote: `http://${upstream.address}` } } }));
    const refOf = (name: string) => `${upstream.address}/library/${name}:1`;
    docker(s.host, ['pull', refOf(first)]);
    expect((await s.waitForEntry((e) => e.route === 'pull')).rewrite?.cache?.outcome).toBe('used');

    docker(host, ['stop', cacheName(upstream.address)]);
    const impostor = await impostorAt(port, [second]);
    try {
      const out = docker(s.host, ['pull', refOf(second)]);
      expect(out).toContain(`the local cache for ${upstream.address} cannot be used: its container stopped: listen tcp 127.0.0.1:${port}: bind: address already in use`);
      await until('the second pull', () => s.entries.filter((e) => e.route === 'pull').length === 2, 60_000);
      const entry = s.entries.filter((e) => e.route === 'pull')[1]!;
      expect(entry.action).toBe('fell back');
      expect(entry.rewrite?.cache?.outcome).toBe('unavailable');
      expect(markerOf(refOf(second))).toBe(refOf(second));
    } finally {
      await impostor.stop();
      rmSync(impostor.dir, { recursive: true, force: true });
    }
    for (const name of [first, second]) docker(host, ['rmi', refOf(name)]);
  });

  it('picks up a changed cache section without a restart, and recreates a cache container removed by hand', async () => {
    const [first, second, third] = [publishOnUpstream('reload'), publishOnUpstream('reload'), publishOnUpstream('reload')];
    const { text: offText } = await hubCacheConfig({ enabled: false });
    const s = await serveWith(offText);
    expect(() => docker(s.host, ['pull', `${first}:1`])).toThrow();
    expect(containerNames()).not.toContain(HUB_CACHE);

    const { port, text } = await hubCacheConfig();
    writeFileSync(join(s.home, 'config.yaml'), text);
    await until('the reload', () => s.stderr().includes('reloaded'));
    docker(s.host, ['pull', `${second}:1`]);
    expect((await pullEntry(s, second)).rewrite?.cache?.outcome).toBe('used');
    expect(docker(host, ['container', 'inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', HUB_CACHE])).toContain(`REGISTRY_HTTP_ADDR=127.0.0.1:${port}`);

    docker(host, ['rm', '-f', HUB_CACHE]);
    docker(s.host, ['pull', `${third}:1`]);
    expect((await pullEntry(s, third)).rewrite?.cache?.outcome).toBe('used');
    expect(docker(host, ['container', 'inspect', '--format', '{{.State.Status}}', HUB_CACHE]).trim()).toBe('running');

    // Stopped by hand: started again by the next pull.
    docker(host, ['stop', HUB_CACHE]);
    docker(host, ['rmi', `${third}:1`]);
    docker(s.host, ['pull', `${third}:1`]);
    expect((await pullEntry(s, third, 2)).rewrite?.cache?.outcome).toBe('used');
    expect(docker(host, ['container', 'inspect', '--format', '{{.State.Status}}', HUB_CACHE]).trim()).toBe('running');
    for (const name of [second, third]) docker(host, ['rmi', `${name}:1`]);
  });

  it('keeps the caches under maxSize after pulls through serve, evicting the least recently pulled repository', async () => {
    const [older, newer] = [publishOnUpstream('lru'), publishOnUpstream('lru')];
    const { port, text } = await hubCacheConfig();
    const s = await serveWith(text);
    docker(s.host, ['pull', `${older}:1`]);
    await until('the first pull to be recorded', () => existsSync(join(s.home, 'cache-usage.json')), 30_000);
    expect(cachedRepositories(host, HUB_CACHE)).toEqual([`library/${older}`]);
    // Room for one image, not two.
    const status = spawnSync(process.execPath, [CLI, 'cache', 'status', '--json', '--config', join(s.home, 'config.yaml'), '--upstream', host], { encoding: 'utf8' });
    const { sizeBytes } = JSON.parse(status.stdout) as { sizeBytes: number };
    writeFileSync(join(s.home, 'config.yaml'), cacheConfigText({ image, maxSize: String(Math.floor(sizeBytes * 1.5)), registries: { 'docker.io': { port, remote: `http://${upstream.address}` } } }));
    await until('the reload', () => s.stderr().includes('reloaded'));
    docker(s.host, ['pull', `${newer}:1`]);
    // The record is updated once the eviction (removal, then garbage-collect) is done.
    const recorded = () => (JSON.parse(readFileSync(join(s.home, 'cache-usage.json'), 'utf8')) as { repository: string }[]).map((u) => u.repository).join();
    await until('the older repository to be evicted', () => recorded() === `library/${newer}`, 60_000);
    expect(cachedRepositories(host, HUB_CACHE)).toEqual([`library/${newer}`]);
    await until('the cache to run again', () => docker(host, ['container', 'inspect', '--format', '{{.State.Status}}', HUB_CACHE]).trim() === 'running', 30_000);
    for (const name of [older, newer]) docker(host, ['rmi', `${name}:1`]);
  });
});

describe('upstream credentials and the engine\'s view of its caches', () => {
  const login = () => ({ user: inject('authMirrorUser'), password: inject('authMirrorPassword') });
  const dockerConfigAt = (dir: string, registry: string) => {
    mkdirSync(dir, { recursive: true });
    const { user, password } = login();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [registry]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }));
    return dir;
  };

  it('without credentials a private image the cache cannot fetch falls back with the client\'s own login; with credentials: true the user\'s login goes to the cache container only', async () => {
    const authRegistry = inject('authMirror');
    const name = unique('private');
    const ref = `${authRegistry}/library/${name}:1`;
    const pushConfig = dockerConfigAt(join(mkdtempSync(join(tmpdir(), 'dc-cache-cfg-')), 'docker'), authRegistry);
    dirs.push(pushConfig);
    importBusyboxImage(host, ref, ref);
    docker(host, ['push', ref], { env: { DOCKER_CONFIG: pushConfig } });
    docker(host, ['rmi', ref]);
    const port = await freePort();
    const configFor = (credentials: boolean) => cacheConfigText({ image, registries: { [authRegistry]: { port, remote: `http://${authRegistry}` } } })
      .replace(`{port: ${port}, remote: "http://${authRegistry}"}`, `{port: ${port}, remote: "http://${authRegistry}", credentials: ${credentials}}`);

    // Without credentials the cache is refused upstream; the client's own login pulls the original.
    const without = await serveWith(configFor(false));
    docker(without.host, ['pull', ref], { env: { DOCKER_CONFIG: pushConfig } });
    const fellBack = await without.waitForEntry((e) => e.route === 'pull');
    expect(fellBack.action).toBe('fell back');
    expect(fellBack.rewrite?.cache?.outcome).toBe('failed');
    docker(host, ['rmi', ref]);
    await without.stop();
    removeCaches(host, [cacheName(authRegistry)]);

    // With credentials: true, serve's user's login goes into the cache container's environment
    // (Distribution 2.8's proxy uses it only with registries that answer with a Bearer
    // challenge, as Docker Hub, ghcr.io and quay.io do; this test registry asks for Basic, so
    // the client's own login still pulls the original here).
    const withCreds = await serveWith(configFor(true));
    dockerConfigAt(join(withCreds.home, '.docker'), authRegistry);
    docker(withCreds.host, ['pull', ref], { env: { DOCKER_CONFIG: pushConfig } });
    await withCreds.waitForEntry((e) => e.route === 'pull');
    expect(docker(host, ['container', 'inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', cacheName(authRegistry)])).toContain(`REGISTRY_PROXY_USERNAME=${login().user}`);
    // Never in the log, the labels or serve's output.
    expect(withCreds.stdout() + withCreds.stderr()).not.toContain(login().password);
    expect(docker(host, ['container', 'inspect', '--format', '{{json .Config.Labels}}', cacheName(authRegistry)])).not.toContain(login().password);
    docker(host, ['rmi', ref]);
    removeCaches(host, [cacheName(authRegistry)]);
  });

  it('reports each cache\'s state and size in the engine status, and clears them', async () => {
    const name = publishOnUpstream('status');
    const dir = mkdtempSync(join(tmpdir(), 'dc-cache-engine-'));
    dirs.push(dir);
    const { port, text } = await hubCacheConfig();
    writeFileSync(join(dir, 'config.yaml'), text);
    const engine = await startEngine({ configPath: join(dir, 'config.yaml'), listen: join(dir, 'd.sock'), upstream: host, env: {}, home: dir });
    try {
      await until('the first cache status', () => engine.status().cache !== undefined);
      expect(engine.status().cache?.registries).toEqual([
        { registry: 'docker.io', port, state: 'not started', container: null, sizeBytes: null, remote: `http://${upstream.address}` },
      ]);
      // Asynchronously: the engine answers from this same process.
      await promisify(execFile)('docker', ['pull', `${name}:1`], { env: { ...process.env, DOCKER_HOST: `unix://${join(dir, 'd.sock')}` } });
      await until('the cache to show as running with a size', () => {
        const r = engine.status().cache?.registries[0];
        return r?.state === 'running' && (r.sizeBytes ?? 0) > 0;
      }, 30_000);
      await until('the pull counted', () => engine.status().counters.redirected === 1);
      await engine.clearCache();
      expect(containerNames()).not.toContain(HUB_CACHE);
      expect(docker(host, ['volume', 'ls', '--format', '{{.Name}}'])).not.toContain(HUB_CACHE);
      await until('the cleared state', () => engine.status().cache?.registries[0]?.state === 'not started');
      docker(host, ['rmi', `${name}:1`]);
    } finally {
      await engine.stop();
    }
  });
});
