// Hit or miss of pulls through the local cache, told from Distribution's own proxy counters
// (its debug server on 127.0.0.1:debugPort), through `serve` on the real dockerd with a real
// cache container made from Debian's docker-registry and a local "upstream" registry standing
// in for Docker Hub: a first pull is a miss with the upstream bytes, the same pull after `rmi`
// is a hit, a new layer over cached ones is "1 of 4 layers", and with the upstream stopped the
// pull is "served from cache, upstream unreachable". The "from cache" counter counts hits only.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LogEntry } from '../../shared/log';
import { formatLogLine } from '../../main/cli/log-line';
import { cacheName } from '../../main/engine/cache/cache-specs';
import { startEngine } from '../../main/engine/start';
import { docker, startRegistry, type Registry } from '../harness/real-docker';
import { startServe, type Serve } from '../harness/serve';
import { until } from '../harness/wait';
import { cacheConfigText, freePort, registryImage, removeCaches } from '../harness/cache-fixture';
import { buildLayeredImage } from '../harness/layered-image';

let host: string;
let image: string;
const running: Serve[] = [];
const registries: Registry[] = [];
const dirs: string[] = [];
const HUB_CACHE = cacheName('docker.io');

beforeAll(() => {
  host = inject('dockerHost');
  image = registryImage(host);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
  await Promise.all(registries.splice(0).map((r) => r.stop()));
  removeCaches(host, [HUB_CACHE]);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
const unique = (base: string) => `${base}${process.pid}x${++seq}`;

async function serveWith(config: string): Promise<Serve> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-cache-served-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'config.yaml'), config);
  const s = await startServe({ upstream: host, home: dir });
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
    expect(docker(s.host, ['pull', `${name}:2`])).toMatch(/fetched from upstream: 1 of 4 layers, \d+(\.\d)? (MB|KB)/);
    expect((await pullEntry(s, `${name}:2`, 1)).rewrite?.cache?.served).toMatchObject({ kind: 'miss', layersFetched: 1, layers: 4 });

    await upstream.stop();
    docker(host, ['rmi', `${name}:2`]);
    expect(docker(s.host, ['pull', `${name}:2`])).toContain(', served from cache, upstream unreachable');
    const offline = await pullEntry(s, `${name}:2`, 2);
    expect(offline.rewrite?.cache).toEqual({ registry: 'docker.io', outcome: 'used', upstreamUnreachable: true, served: { kind: 'hit' } });
    expect(formatLogLine(offline, 'text')).toContain('(served from cache, upstream unreachable)');
    docker(host, ['rmi', `${name}:2`]);
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
