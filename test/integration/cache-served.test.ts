// Hit or miss of pulls through the local cache, told from Distribution's own proxy counters
// (its debug server on 127.0.0.1:debugPort), through `serve` on the real dockerd with a real
// cache container made from Debian's docker-registry and a local "upstream" registry standing
// in for Docker Hub: a first pull is a miss with the upstream bytes, the same pull after `rmi`
// is a hit, a new layer over cached ones is "1 of 4 layers", and with the upstream stopped the
// pull is "served from cache, upstream unreachable". The "from cache" counter counts hits only.
// And an upstream that asks for a Bearer token (a Distribution with `auth: token` and a token
// server of the test's own): `credentials: true` hands the cache the user's docker login.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LogEntry, PullStep } from '#shared/log';
import { formatLogLine } from '../../main/cli/log-line';
import { cacheName } from '../../main/engine/cache/cache-specs';
import { startEngine } from '../../main/engine/start';
import { DOCKER_CLIS, docker, importBusyboxImage, publishImage, startRegistry, type Registry } from '../harness/real-docker';
import { startEngineRecorder } from '../harness/engine-recorder';
import { startTokenServer } from '../harness/token-server';
import { startServe, type Serve } from '../harness/serve';
import { until } from '../harness/wait';
import { cacheConfigText, registryImage, removeCaches } from '../harness/cache-fixture';
import { freePort } from '../harness/free-port';
import { buildLayeredImage } from '../harness/layered-image';
import { startLateStore, type LateStore } from '../harness/late-store';

let host: string;
let image: string;
const running: Serve[] = [];
const registries: Registry[] = [];
const fronts: LateStore[] = [];
const dirs: string[] = [];
const HUB_CACHE = cacheName('docker.io');
/** The caches a test made besides docker.io's, removed after it whatever happened. */
const caches: string[] = [];

beforeAll(() => {
  host = inject('dockerHost');
  image = registryImage(host);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(fronts.splice(0).map((f) => f.stop()));
  await Promise.all(registries.splice(0).map((r) => r.stop()));
  removeCaches(host, [HUB_CACHE, ...caches.splice(0)]);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
const unique = (base: string) => `${base}${process.pid}x${++seq}`;

async function serveWith(config: string, env: NodeJS.ProcessEnv = {}): Promise<Serve> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-cache-served-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'config.yaml'), config);
  const s = await startServe({ upstream: host, home: dir, env });
  running.push(s);
  return s;
}

async function upstreamRegistry(): Promise<Registry> {
  const r = await startRegistry({ port: await freePort() });
  registries.push(r);
  return r;
}

/** The docker.io cache pointed at `upstream`, its debug server on a free port of its own. */
async function hubCache(upstream: Registry): Promise<string> {
  const [port, debugPort] = [await freePort(), await freePort()];
  return cacheConfigText({ image, registries: { 'docker.io': { port, debugPort, remote: `http://${upstream.address}` } } });
}

/**
 * Publishes on `upstream` NAME:1 (busybox and two layers of random bytes) and NAME:2 (one
 * more layer over NAME:1), then removes both from the engine; returns NAME.
 */
function publishLayered(upstream: Registry): string {
  const name = unique('layers');
  const [one, two] = [`${upstream.address}/library/${name}:1`, `${upstream.address}/library/${name}:2`];
  buildLayeredImage(host, one, { a: 2_000_000, b: 3_000_000 });
  buildLayeredImage(host, two, { c: 1_000_000 }, one);
  docker(host, ['push', one]);
  docker(host, ['push', two]);
  // The child first: the containerd store keeps a parent removed before its child as an untagged image.
  docker(host, ['rmi', two]);
  docker(host, ['rmi', one]);
  return name;
}

// For docker commands that reach a server of this process (a token server, an upstream's
// front): the synchronous `docker` would block the process that has to answer them.
const dockerAsync = async (dockerHost: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
  (await promisify(execFile)(DOCKER_CLIS[0], args, { env: { ...process.env, DOCKER_HOST: dockerHost, ...env }, maxBuffer: 64 * 1024 * 1024 })).stdout;

const pulls = (s: Serve, ref: string) => s.entries.filter((e) => e.route === 'pull' && e.rewrite?.original === `docker.io/library/${ref}`);
const pullEntry = (s: Serve, ref: string, n: number): Promise<LogEntry> =>
  until(`pull ${n} of ${ref}`, () => pulls(s, ref).length >= n, 60_000).then(() => pulls(s, ref)[n - 1]!);

describe('hit or miss of pulls through the local cache', () => {
  it('a first pull is a miss with the upstream bytes, after rmi a hit, a new layer over cached ones 1 of 4, and with the upstream stopped served from cache', async () => {
    const upstream = await upstreamRegistry();
    const name = publishLayered(upstream);
    const s = await serveWith(await hubCache(upstream));

    const first = docker(s.host, ['pull', `${name}:1`]);
    expect(first).toMatch(/docker-caching: pulled docker\.io\/library\/\S+ from 127\.0\.0\.1:\d+\/library\/\S+, fetched from upstream: 3 of 3 layers, \d+(\.\d)? MB/);
    const miss = await pullEntry(s, `${name}:1`, 1);
    expect(miss.rewrite?.cache).toMatchObject({ registry: 'docker.io', outcome: 'used', served: { kind: 'miss', layersFetched: 3, layers: 3 } });
    // The two random layers are 5 MB and do not compress; busybox adds about 1 MB.
    const served = miss.rewrite?.cache?.served;
    const bytes = served?.kind === 'miss' ? served.bytes ?? 0 : 0;
    expect(bytes).toBeGreaterThan(5_000_000);
    expect(bytes).toBeLessThan(8_000_000);
    // serve's text log says it too.
    expect(formatLogLine(miss, 'text')).toContain('(fetched from upstream: 3 of 3 layers');

    docker(host, ['rmi', `${name}:1`]);
    expect(docker(s.host, ['pull', `${name}:1`])).toContain(', served from cache');
    const hit = await pullEntry(s, `${name}:1`, 2);
    expect(hit.rewrite?.cache).toEqual({ registry: 'docker.io', outcome: 'used', served: { kind: 'hit' } });
    expect(formatLogLine(hit, 'text')).toContain('(served from cache)');

    // NAME:2 shares three layers with NAME:1, which the cache holds; its fourth is new.
    docker(host, ['rmi', `${name}:1`]);
    // The bytes only when the engine sized each layer it downloaded (the containerd store often does not).
    expect(docker(s.host, ['pull', `${name}:2`])).toMatch(/fetched from upstream: 1 of 4 layers(, \d+(\.\d)? (MB|KB))?, tagged/);
    expect((await pullEntry(s, `${name}:2`, 1)).rewrite?.cache?.served).toMatchObject({ kind: 'miss', layersFetched: 1, layers: 4 });

    await upstream.stop();
    docker(host, ['rmi', `${name}:2`]);
    expect(docker(s.host, ['pull', `${name}:2`])).toContain(', served from cache, upstream unreachable');
    const offline = await pullEntry(s, `${name}:2`, 2);
    expect(offline.rewrite?.cache).toEqual({ registry: 'docker.io', outcome: 'used', upstreamUnreachable: true, served: { kind: 'hit' } });
    expect(formatLogLine(offline, 'text')).toContain('(served from cache, upstream unreachable)');
    docker(host, ['rmi', `${name}:2`]);
  });

  it('tells a first pull as a miss of every layer when the cache stores its blobs after the engine has them, and the next pull as a hit', async () => {
    const upstream = await upstreamRegistry();
    const name = publishLayered(upstream);
    // Each blob's store ends 600 ms after its first fetch: Distribution 2.8 counts it only then.
    const late = await startLateStore(upstream.address, 600);
    fronts.push(late);
    const [port, debugPort] = [await freePort(), await freePort()];
    const s = await serveWith(cacheConfigText({ image, registries: { 'docker.io': { port, debugPort, remote: `http://${late.address}` } } }));

    expect(await dockerAsync(s.host, ['pull', `${name}:1`])).toContain('fetched from upstream: 3 of 3 layers');
    // Three layers and the config, each fetched twice.
    expect(late.held()).toBe(4);
    expect((await pullEntry(s, `${name}:1`, 1)).rewrite?.cache?.served).toMatchObject({ kind: 'miss', layersFetched: 3, layers: 3 });
    docker(host, ['rmi', `${name}:1`]);
    expect(await dockerAsync(s.host, ['pull', `${name}:1`])).toContain(', served from cache');
    expect((await pullEntry(s, `${name}:1`, 2)).rewrite?.cache?.served).toEqual({ kind: 'hit' });
    docker(host, ['rmi', `${name}:1`]);
  });

  it('counts hits only as "from cache" in the engine\'s counters, and its debug server listens on 127.0.0.1 alone', async () => {
    const upstream = await upstreamRegistry();
    const name = publishLayered(upstream);
    const dir = mkdtempSync(join(tmpdir(), 'dc-cache-served-engine-'));
    dirs.push(dir);
    const config = await hubCache(upstream);
    writeFileSync(join(dir, 'config.yaml'), config);
    const engine = await startEngine({ configPath: join(dir, 'config.yaml'), listen: join(dir, 'd.sock'), upstream: host, env: {}, home: dir });
    const pull = () => promisify(execFile)('docker', ['pull', `${name}:1`], { env: { ...process.env, DOCKER_HOST: `unix://${join(dir, 'd.sock')}` } });
    try {
      await pull();
      await until('the miss counted as redirected', () => engine.status().counters.redirected === 1);
      expect(engine.status().counters.fromCache).toBe(0);
      docker(host, ['rmi', `${name}:1`]);
      await pull();
      await until('the hit counted', () => engine.status().counters.redirected === 2);
      expect(engine.status().counters.fromCache).toBe(1);
      const debugPort = /debugPort: (\d+)/.exec(config)![1];
      const env = docker(host, ['container', 'inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', HUB_CACHE]);
      expect(env).toContain(`REGISTRY_HTTP_DEBUG_ADDR=127.0.0.1:${debugPort}`);
      const listening = docker(host, ['run', '--rm', '--network', 'host', '--entrypoint', 'sh', image, '-c', 'cat /proc/net/tcp']);
      const hexPort = Number(debugPort).toString(16).toUpperCase().padStart(4, '0');
      // Listening sockets (state 0A) on the debug port: one, on 127.0.0.1 (0100007F).
      const rows = listening.split('\n').filter((row) => row.includes(`:${hexPort} `) && / 0A /.test(row)).map((row) => row.trim().split(/\s+/)[1]);
      expect(rows).toEqual([`0100007F:${hexPort}`]);
      docker(host, ['rmi', `${name}:1`]);
    } finally {
      await engine.stop();
    }
  });
});

describe('what serve does for a pull through the cache', () => {
  const sequential: PullStep['step'][] = ['cache ready', 'engine asked', 'engine answered', 'pulled', 'tagged', 'untagged', 'answered'];
  const beside: PullStep['step'][] = ['cache counters read', 'tags listed', 'upstream answered', 'hit or miss told'];

  it('asks the engine for one look-up of the mirror tag (no image list), the pull, the tag and the untag; its trace shows every step, the counters read beside the look-up', async () => {
    const upstream = await upstreamRegistry();
    const name = unique('path');
    publishImage(host, `${upstream.address}/library/${name}:1`, name);
    const recorder = await startEngineRecorder(inject('dockerSocket'));
    const dir = mkdtempSync(join(tmpdir(), 'dc-cache-path-'));
    dirs.push(dir);
    const config = await hubCache(upstream);
    writeFileSync(join(dir, 'config.yaml'), config);
    const s = await startServe({ upstream: recorder.host, home: dir });
    running.push(s);
    try {
      const port = /docker\.io: \{port: (\d+)/.exec(config)![1];
      const mirrorRef = `127.0.0.1:${port}/library/${name}:1`;
      for (const [n, kind] of [[1, 'miss'], [2, 'hit']] as const) {
        recorder.requests.splice(0);
        // serve's engine calls pass the recorder in this process: the pull must not block it.
        await promisify(execFile)(DOCKER_CLIS[0], ['pull', `${name}:1`], { env: { ...process.env, DOCKER_HOST: s.host } });
        const entry = await pullEntry(s, `${name}:1`, n);
        expect(entry.rewrite?.cache?.served?.kind).toBe(kind);
        // The engine calls about the image (the cache's start and the health check aside): no image list.
        const imageCalls = recorder.requests.filter((r) => r.includes(name)).map((r) => r.replace(/^(\S+) \/v1\.\d+/, '$1 '));
        expect(imageCalls).toEqual([
          `GET /images/${mirrorRef}/json`,
          expect.stringMatching(new RegExp(`^POST /images/create\\?fromImage=${encodeURIComponent(mirrorRef.replace(/:1$/, '')).replace(/\./g, '\\.')}&tag=1(&|$)`)),
          `POST /images/${mirrorRef}/tag?repo=docker.io%2Flibrary%2F${name}&tag=1`,
          `DELETE /images/${mirrorRef}?noprune=1`,
        ]);

        const steps = entry.rewrite!.steps!;
        const at = (step: PullStep['step']) => steps.find((x) => x.step === step)!.atMs;
        expect(steps.map((x) => x.step).sort()).toEqual([...sequential, ...beside].sort());
        expect(steps.filter((x) => sequential.includes(x.step)).map((x) => x.step)).toEqual(sequential);
        // Read side by side while the cache was made ready; the engine was asked after both. The
        // first pull started the cache: its counters were read again once it ran.
        for (const step of ['cache counters read', 'tags listed'] as const) expect(at(step)).toBeLessThanOrEqual(at('engine asked'));
        if (n === 1) expect(at('cache counters read')).toBeGreaterThanOrEqual(at('cache ready'));
        expect(at('hit or miss told')).toBeGreaterThanOrEqual(at('pulled'));
        expect(Math.max(at('hit or miss told'), at('upstream answered'))).toBeLessThanOrEqual(at('answered'));
        expect(at('answered')).toBeLessThanOrEqual(entry.durationMs);
        expect(steps.every((x) => x.ms >= 0 && x.ms <= x.atMs)).toBe(true);
        docker(host, ['rmi', `${name}:1`]);
      }
    } finally {
      await s.stop();
      await recorder.close();
    }
  });
});

describe('a cache whose upstream is down when it starts', () => {
  it('does not start (Distribution probes its upstream at start and panics), and the pull says why', async () => {
    const [dead, port, debugPort] = [await freePort(), await freePort(), await freePort()];
    const registry = `127.0.0.1:${dead}`;
    caches.push(cacheName(registry));
    const s = await serveWith(cacheConfigText({ image, registries: { [registry]: { port, debugPort, remote: `http://${registry}` } } }));
    expect(() => docker(s.host, ['pull', `${registry}/library/nothing:1`])).toThrow();
    const entry = await s.waitForEntry((e) => e.route === 'pull');
    expect(entry.rewrite?.cache).toMatchObject({ outcome: 'unavailable', reason: expect.stringMatching(new RegExp(`its container stopped: Get "http://${registry}/v2/": .*connection refused`)) });
  });
});

describe('an upstream that asks for a Bearer token (credentials: true)', () => {
  /** A docker config folder holding a login for `registry` (`docker login` writes the same), or none. */
  const loginDir = (registry: string, user?: string, password?: string, dir = mkdtempSync(join(tmpdir(), 'dc-docker-config-'))) => {
    if (!dirs.includes(dir)) dirs.push(dir);
    const auths = user === undefined ? {} : { [registry]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } };
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths }));
    return dir;
  };
  /** Every file under `dir` (the folder serve keeps its config, record and log in) that holds `secret`. */
  const filesHolding = (dir: string, secret: string): string[] =>
    (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
      .filter((f) => f.isFile())
      .map((f) => join(f.parentPath, f.name))
      .filter((path) => readFileSync(path).includes(secret));

  /**
   * A registry that asks for a token from a token server of this process (which reads `users`
   * at each request), holding `NAME:1`, `:2` and `:3`, pushed with `clientuser`'s login.
   */
  async function privateUpstream(users: Record<string, string>, base: string) {
    const tokens = await startTokenServer(users);
    try {
      const upstream = await startRegistry({ port: await freePort(), token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.rootCertBundle } });
      registries.push(upstream);
      const client = loginDir(upstream.address, 'clientuser', users.clientuser);
      const name = unique(base);
      const ref = (tag: string) => `${upstream.address}/library/${name}:${tag}`;
      for (const tag of ['1', '2', '3']) {
        importBusyboxImage(host, ref(tag), `${name}:${tag}`);
        await dockerAsync(host, ['push', ref(tag)], { DOCKER_CONFIG: client });
        docker(host, ['rmi', ref(tag)]);
      }
      return { tokens, upstream, client, name, ref };
    } catch (err) {
      await tokens.stop();
      throw err;
    }
  }

  it('the cache fetches with the user\'s login and serves with the upstream stopped; without it or with a wrong password the pull falls back to the client\'s own login with the reason; the password is in no log, entry or file', async () => {
    const cachePassword = `cache-pw-${randomUUID()}`;
    const clientPassword = `client-pw-${randomUUID()}`;
    const { tokens, upstream, client, name, ref } = await privateUpstream({ cacheuser: cachePassword, clientuser: clientPassword }, 'private');
    try {
      // Without a login the upstream refuses: it really asks for a token.
      await expect(dockerAsync(host, ['pull', ref('1')], { DOCKER_CONFIG: loginDir('elsewhere.example', 'nobody', 'x') })).rejects.toThrow(/unauthorized|authentication required/i);

      const [port, debugPort] = [await freePort(), await freePort()];
      const CACHE = cacheName(upstream.address);
      caches.push(CACHE);
      // serve's user's own docker login (what `credentials: true` takes) is not the client's.
      const serveAs = (credentials: boolean, login?: string) =>
        serveWith(cacheConfigText({ image, registries: { [upstream.address]: { port, debugPort, remote: `http://${upstream.address}`, credentials } } }), login ? { DOCKER_CONFIG: login } : {});

      // credentials: false, then a wrong password: the cache is refused; the client's own login pulls the original.
      for (const [credentials, login, tag] of [[false, undefined, '2'], [true, loginDir(upstream.address, 'cacheuser', 'not-the-password'), '3']] as const) {
        const s = await serveAs(credentials, login);
        await dockerAsync(s.host, ['pull', ref(tag)], { DOCKER_CONFIG: client });
        const entry = await s.waitForEntry((e) => e.route === 'pull');
        expect(entry.action).toBe('fell back');
        // Distribution 2.8 answers "manifest unknown" (the containerd store says "not found") when
        // its upstream refuses it a token; the original then pulled with the client's login, so
        // the reason names the likely cause.
        expect(entry.rewrite?.cache).toMatchObject({ registry: upstream.address, outcome: 'failed', reason: expect.stringMatching(/(manifest unknown|not found).*the original registry then pulled it with the client's own login: a private image\? `credentials: true`/) });
        expect(entry.rewrite?.source).toBe(ref(tag));
        expect(formatLogLine(entry, 'text')).toMatch(/fell back to \S+ .*\(failed: .*private image/);
        expect(JSON.stringify(s.entries)).not.toContain(clientPassword);
        docker(host, ['rmi', ref(tag)]);
        await s.stop();
        removeCaches(host, [CACHE]);
      }
      expect(tokens.requests).toContainEqual({ user: 'cacheuser', granted: false, scope: expect.stringContaining(`library/${name}:pull`) });

      // credentials: true with the user's login: the cache fetches, then serves alone.
      const withLogin = await serveAs(true, loginDir(upstream.address, 'cacheuser', cachePassword));
      const pulled = await dockerAsync(withLogin.host, ['pull', ref('1')], { DOCKER_CONFIG: client });
      expect(pulled).toContain(`from 127.0.0.1:${port}/library/${name}:1, fetched from upstream: 1 of 1 layer`);
      const first = await withLogin.waitForEntry((e) => e.route === 'pull');
      expect(first.action).toBe('redirected');
      expect(first.rewrite?.cache).toMatchObject({ registry: upstream.address, outcome: 'used', served: { kind: 'miss' } });
      expect(tokens.requests).toContainEqual({ user: 'cacheuser', granted: true, scope: expect.stringContaining(`library/${name}:pull`) });
      docker(host, ['rmi', ref('1')]);
      await upstream.stop();
      const offline = await dockerAsync(withLogin.host, ['pull', ref('1')], { DOCKER_CONFIG: client });
      expect(offline).toContain(', served from cache, upstream unreachable');
      docker(host, ['rmi', ref('1')]);
      await withLogin.stop();
      // Never in serve's log, its entries (what the inspector lists) or a file it wrote.
      for (const secret of [cachePassword, Buffer.from(`cacheuser:${cachePassword}`).toString('base64')]) {
        expect(withLogin.stdout() + withLogin.stderr()).not.toContain(secret);
        expect(JSON.stringify(withLogin.entries)).not.toContain(secret);
        expect(filesHolding(withLogin.home, secret)).toEqual([]);
      }
      // Only in the container's environment, as README says.
      expect(docker(host, ['container', 'inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', CACHE])).toContain(`REGISTRY_PROXY_PASSWORD=${cachePassword}`);
      removeCaches(host, [CACHE]);
    } finally {
      await tokens.stop();
    }
  });

  it('a new docker login reaches the running cache on the next pull: a changed password, a logout, a first login make its container again (volume kept, the reason in the trace); an unchanged login keeps it', async () => {
    const [firstPassword, secondPassword, clientPassword] = [`first-pw-${randomUUID()}`, `second-pw-${randomUUID()}`, `client-pw-${randomUUID()}`];
    // The token server reads this record at each request: changing it is the password changing upstream.
    const users: Record<string, string> = { cacheuser: firstPassword, clientuser: clientPassword };
    const { tokens, upstream, client, name, ref } = await privateUpstream(users, 'rotated');
    try {
      const [port, debugPort] = [await freePort(), await freePort()];
      const CACHE = cacheName(upstream.address);
      caches.push(CACHE);
      // serve's user's docker config, changed below as `docker login` and `docker logout` change it.
      const serveLogin = loginDir(upstream.address, 'cacheuser', firstPassword);
      const s = await serveWith(cacheConfigText({ image, registries: { [upstream.address]: { port, debugPort, remote: `http://${upstream.address}`, credentials: true } } }), { DOCKER_CONFIG: serveLogin });
      const container = () => docker(host, ['container', 'inspect', '--format', '{{.Id}}', CACHE]).trim();
      const env = () => docker(host, ['container', 'inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', CACHE]);
      let seen = 0;
      /** Pulls through serve as the client; returns what the client saw and the pull's entry. */
      const pull = async (tag: string) => {
        const out = await dockerAsync(s.host, ['pull', ref(tag)], { DOCKER_CONFIG: client });
        const entry = await s.waitForEntry((e) => e.route === 'pull' && e.seq > seen);
        seen = entry.seq;
        docker(host, ['rmi', ref(tag)]);
        return { out, entry };
      };
      const viaCache = { registry: upstream.address, outcome: 'used' };

      const first = await pull('1');
      expect(first.entry.rewrite?.cache).toEqual({ ...viaCache, served: expect.objectContaining({ kind: 'miss' }) });
      const made = container();
      // The same login: the same container, nothing said.
      const again = await pull('1');
      expect(again.entry.rewrite?.cache).toEqual({ ...viaCache, served: { kind: 'hit' } });
      expect(container()).toBe(made);

      // A new password: the old one no longer works upstream; the user logs in again.
      users.cacheuser = secondPassword;
      loginDir(upstream.address, 'cacheuser', secondPassword, serveLogin);
      const changed = await pull('2');
      const reason = `your docker login for ${upstream.address} changed`;
      expect(changed.out).toContain(`made the local cache for ${upstream.address} again: ${reason}`);
      expect(changed.out).toContain(`from 127.0.0.1:${port}/library/${name}:2, fetched from upstream: 1 of 1 layer`);
      expect(changed.entry.rewrite?.cache).toEqual({ ...viaCache, served: expect.objectContaining({ kind: 'miss' }), recreated: reason });
      expect(formatLogLine(changed.entry, 'text')).toContain(`its container was made again: ${reason}`);
      expect(tokens.requests).toContainEqual({ user: 'cacheuser', granted: true, scope: expect.stringContaining(`library/${name}:pull`) });
      expect(container()).not.toBe(made);
      expect(env()).toContain(`REGISTRY_PROXY_PASSWORD=${secondPassword}`);
      expect(env()).not.toContain(firstPassword);
      // The volume was kept: what was cached before the new login is served from the cache.
      const kept = await pull('1');
      expect(kept.entry.rewrite?.cache).toEqual({ ...viaCache, served: { kind: 'hit' } });

      // docker logout: the container no longer holds the login.
      loginDir(upstream.address, undefined, undefined, serveLogin);
      const loggedOut = await pull('1');
      // What the cache holds it still serves (Distribution falls back to its own tag when upstream refuses it).
      expect(loggedOut.entry.rewrite?.cache).toEqual({ ...viaCache, served: { kind: 'hit' }, recreated: `you logged out of ${upstream.address}` });
      expect(env()).not.toMatch(/REGISTRY_PROXY_(USERNAME|PASSWORD)=/);

      // Logging in again, as for the first time: the next pull fetches with it.
      loginDir(upstream.address, 'cacheuser', secondPassword, serveLogin);
      const loggedIn = await pull('3');
      expect(loggedIn.entry.rewrite?.cache).toEqual({ ...viaCache, served: expect.objectContaining({ kind: 'miss' }), recreated: `you logged in to ${upstream.address}` });
      expect(env()).toContain(`REGISTRY_PROXY_PASSWORD=${secondPassword}`);

      await s.stop();
      // Never in serve's log, its entries, a file it wrote, or the container's labels.
      const labels = docker(host, ['container', 'inspect', '--format', '{{json .Config.Labels}}', CACHE]);
      for (const secret of [firstPassword, secondPassword]) {
        expect(s.stdout() + s.stderr()).not.toContain(secret);
        expect(JSON.stringify(s.entries)).not.toContain(secret);
        expect(filesHolding(s.home, secret)).toEqual([]);
        expect(labels).not.toContain(secret);
      }
      removeCaches(host, [CACHE]);
    } finally {
      await tokens.stop();
    }
  }, 600_000);
});
