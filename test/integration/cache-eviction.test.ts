// Pulls while a local cache evicts to stay under maxSize, on the real dockerd with a
// Distribution cache container, through the engine's own socket: an eviction waits for the
// pull in flight through that cache (it is never cut off), a pull that starts meanwhile goes
// to the original registry at once with the reason in its progress and trace (not an error),
// and once the eviction is done pulls go through the cache again. An HTTP gate in front of the
// cache's upstream holds one repository's requests, so "a pull in flight" is a fact, not a race.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startEngine, type RunningEngine } from '../../main/engine/start';
import { cacheName } from '../../main/engine/cache/cache-specs';
import { docker, publishImage, startRegistry, type Registry } from '../harness/real-docker';
import { until } from '../harness/wait';
import { cachedRepositories, cacheConfigText, registryImage, removeCaches } from '../harness/cache-fixture';
import { freePort } from '../harness/free-port';

let host: string;
let image: string;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(() => {
  host = inject('dockerHost');
  image = registryImage(host);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An HTTP relay to `target` that holds every request whose path contains a held word until released. */
interface Gate {
  url: string;
  hold(word: string): void;
  release(): void;
  /** Requests held right now. */
  held(): number;
  close(): Promise<void>;
}

async function startGate(target: string): Promise<Gate> {
  let word: string | undefined;
  let waiting: (() => void)[] = [];
  const relay = (req: IncomingMessage, res: ServerResponse) => {
    const upstream = request({ host: target.split(':')[0], port: Number(target.split(':')[1]), method: req.method, path: req.url, headers: { ...req.headers, host: target } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };
  const server: Server = createServer((req, res) => {
    if (word !== undefined && req.url?.includes(word)) waiting.push(() => relay(req, res));
    else relay(req, res);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    hold: (w) => (word = w),
    release() {
      word = undefined;
      for (const go of waiting.splice(0)) go();
      waiting = [];
    },
    held: () => waiting.length,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Publishes `registry/library/NAME:1` with `megabytes` of random data beside busybox; returns the reference. */
function publishLarge(registry: string, name: string, megabytes: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'dc-cache-evict-'));
  try {
    mkdirSync(join(dir, 'bin'));
    cpSync('/bin/busybox', join(dir, 'bin/busybox'));
    writeFileSync(join(dir, 'payload'), execFileSync('head', ['-c', String(megabytes << 20), '/dev/urandom'], { maxBuffer: (megabytes + 1) << 20 }));
    const ref = `${registry}/library/${name}:1`;
    execFileSync('sh', ['-c', `tar -C ${dir} -c . | docker import - ${ref} >/dev/null`], { env: { ...process.env, DOCKER_HOST: host } });
    docker(host, ['push', ref]);
    docker(host, ['rmi', ref]);
    return ref;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('pulls during a maxSize eviction', () => {
  it('waits for the pull in flight, sends a new pull to the original with the reason, and uses the cache again after', async () => {
    const upstream: Registry = await startRegistry({ port: await freePort() });
    cleanups.push(() => upstream.stop());
    const gate = await startGate(upstream.address);
    cleanups.push(() => gate.close());
    const base = `evict${process.pid}`;
    // The cache caches the upstream registry itself, so "the original" is there to fall back to.
    const big = publishLarge(upstream.address, `${base}big`, 6);
    const [newer, held, during] = ['newer', 'held', 'during'].map((n) => {
      const ref = `${upstream.address}/library/${base}${n}:1`;
      publishImage(host, ref, ref);
      return ref;
    }) as [string, string, string];

    const dir = mkdtempSync(join(tmpdir(), 'dc-cache-evict-home-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    const cacheNameOf = cacheName(upstream.address);
    cleanups.push(() => removeCaches(host, [cacheNameOf]));
    const configWith = (maxSize: string) => cacheConfigText({ image, maxSize, registries: { [upstream.address]: { port, remote: gate.url } } });
    writeFileSync(join(dir, 'config.yaml'), configWith('10GB'));
    const engine: RunningEngine = await startEngine({ configPath: join(dir, 'config.yaml'), listen: join(dir, 'd.sock'), upstream: host, env: {}, home: dir });
    cleanups.push(() => engine.stop());
    const through = `unix://${join(dir, 'd.sock')}`;
    const pull = (ref: string) => promisify(execFile)('docker', ['pull', ref], { env: { ...process.env, DOCKER_HOST: through } }).then((r) => r.stdout);
    const registryStatus = () => engine.status().cache?.registries.find((r) => r.registry === upstream.address);
    const viaCache = (ref: string) => `pulled ${ref} from 127.0.0.1:${port}/${ref.slice(upstream.address.length + 1)}`;
    const pullEntry = (ref: string, n = 1) => until(`pull ${n} of ${ref} logged`, () => engine.logs.snapshot().filter((e) => e.rewrite?.original === ref && !e.pending).length >= n, 60_000)
      .then(() => engine.logs.snapshot().filter((e) => e.rewrite?.original === ref && !e.pending)[n - 1]!);

    // The big image fills the cache; then maxSize leaves room for it and a little more.
    await pull(big);
    await until('the big image to be measured in the cache', () => (registryStatus()?.sizeBytes ?? 0) > 6 << 20, 30_000);
    const bigSize = registryStatus()!.sizeBytes!;
    writeFileSync(join(dir, 'config.yaml'), configWith(String(bigSize + (512 << 10))));
    await until('the smaller maxSize to apply', () => engine.status().cache?.maxSizeBytes === bigSize + (512 << 10));

    // A pull in flight through the cache: its manifest request is held upstream.
    gate.hold(`${base}held`);
    const heldPull = pull(held);
    await until('the held pull to reach the upstream', () => gate.held() > 0, 60_000);

    // The next pull through the cache puts it over maxSize: the big image is evicted, once the held pull is done.
    expect(await pull(newer)).toContain(viaCache(newer));
    await until('the eviction to begin', () => registryStatus()?.evicting === `library/${base}big`, 60_000);

    // Meanwhile: the original registry at once, with the reason, not an error.
    const out = await pull(during);
    expect(out).toMatch(new RegExp(`skipped 127\\.0\\.0\\.1:${port}/library/${base}during:1: the local cache for ${upstream.address.replace(/\./g, '\\.')} is stopped for a moment to evict library/${base}big`));
    expect(out).toContain(`pulled ${during} from ${during}`);
    const fellBack = await pullEntry(during);
    expect(fellBack.action).toBe('fell back');
    expect(fellBack.rewrite?.cache).toEqual({ registry: upstream.address, outcome: 'unavailable', reason: expect.stringContaining(`to evict library/${base}big`) });
    expect(docker(host, ['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n')).toContain(during);

    // The held pull finishes through the cache: the eviction never cut it off.
    gate.release();
    expect(await heldPull).toContain(viaCache(held));
    expect((await pullEntry(held)).rewrite?.cache?.outcome).toBe('used');
    await until('the eviction to end', () => registryStatus()?.evicting === undefined && registryStatus()?.state === 'running', 120_000);
    expect(cachedRepositories(host, cacheNameOf)).not.toContain(`library/${base}big`);

    // After it: through the cache again.
    docker(host, ['rmi', during]);
    expect(await pull(during)).toContain(viaCache(during));
    expect((await pullEntry(during, 2)).rewrite?.cache?.outcome).toBe('used');
    for (const ref of [big, newer, held, during]) docker(host, ['rmi', ref]);
  });
});
