// The local cache in its default `network: bridge`, on the test engine's own bridge (real
// dockerd, docker-proxy publishing the port, a Distribution cache container made from the
// registry image): the cache is published on 127.0.0.1:PORT and nowhere else, a pull through
// `serve` fills it from an "upstream" registry the container reaches at the bridge's gateway,
// and with that upstream stopped the same pull is served from the cache; another registry that
// takes the published port while the cache is stopped is never pulled from. Docker CLIs 28 and 20.10.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheName } from '../../main/engine/cache/cache-specs';
import { DOCKER_CLIS, docker, importBusyboxImage, publishImage, startRegistry, type Registry } from '../harness/real-docker';
import { startServe, type Serve } from '../harness/serve';
import { until } from '../harness/wait';
import { cachedRepositories, cacheConfigText, registryImage, removeCaches } from '../harness/cache-fixture';
import { freePort } from '../harness/free-port';

let host: string;
let gateway: string;
let image: string;
const HUB_CACHE = cacheName('docker.io');
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(() => {
  host = inject('dockerHost');
  gateway = inject('bridgeGateway');
  image = registryImage(host);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Whether a TCP connection to host:port is accepted. */
function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(5_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

interface Inspected {
  HostConfig: { NetworkMode: string; PortBindings: Record<string, { HostIp: string; HostPort: string }[]> };
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null>; Networks: Record<string, { IPAddress: string; Gateway: string }> };
}

describe('the local cache in network: bridge', () => {
  it('publishes 127.0.0.1:PORT only, fills from an upstream on the bridge gateway through serve, then serves with the upstream stopped', async () => {
    // The upstream listens where containers on the bridge reach the host (and the engine pushes to it).
    const upstream: Registry = await startRegistry({ host: gateway, port: await freePort(gateway) });
    cleanups.push(() => upstream.stop());
    const names = DOCKER_CLIS.map((_, i) => `bridged${process.pid}x${i}`);
    for (const name of names) publishImage(host, `${upstream.address}/library/${name}:1`, name);

    const [port, debugPort] = [await freePort(), await freePort()];
    const home = mkdtempSync(join(tmpdir(), 'dc-cache-bridge-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    writeFileSync(join(home, 'config.yaml'), cacheConfigText({ image, network: 'bridge', registries: { 'docker.io': { port, debugPort, remote: `http://${upstream.address}` } } }));
    const s: Serve = await startServe({ upstream: host, home });
    cleanups.push(() => removeCaches(host, [HUB_CACHE]));
    cleanups.push(() => s.stop());
    const pulls = () => s.entries.filter((e) => e.route === 'pull');

    for (const [i, cli] of DOCKER_CLIS.entries()) {
      const out = docker(s.host, ['pull', `${names[i]}:1`], { cli });
      // Hit or miss told from the cache's counters, read through its published debug port.
      expect(out).toContain(`docker-caching: pulled docker.io/library/${names[i]}:1 from 127.0.0.1:${port}/library/${names[i]}:1, fetched from upstream: 1 of 1 layer`);
      const entry = await s.waitForEntry((e) => e.route === 'pull' && e.rewrite?.original === `docker.io/library/${names[i]}:1`, 60_000);
      expect(entry.action).toBe('redirected');
      expect(entry.rewrite?.cache).toMatchObject({ registry: 'docker.io', outcome: 'used', served: { kind: 'miss', layersFetched: 1, layers: 1 } });
      expect(docker(host, ['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n')).toContain(`${names[i]}:1`);
    }
    expect(cachedRepositories(host, HUB_CACHE)).toEqual(names.map((n) => `library/${n}`).sort());

    // On the bridge, its port and its debug server's published on the loopback address only.
    const [info] = JSON.parse(docker(host, ['container', 'inspect', HUB_CACHE])) as Inspected[];
    expect(info!.HostConfig.NetworkMode).toBe('bridge');
    expect(info!.NetworkSettings.Networks.bridge?.Gateway).toBe(gateway);
    const published = { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }], '5001/tcp': [{ HostIp: '127.0.0.1', HostPort: String(debugPort) }] };
    expect(info!.HostConfig.PortBindings).toEqual(published);
    expect(info!.NetworkSettings.Ports).toEqual(published);
    expect(docker(host, ['port', HUB_CACHE]).trim().split('\n').sort()).toEqual([`5000/tcp -> 127.0.0.1:${port}`, `5001/tcp -> 127.0.0.1:${debugPort}`]);
    // What that means on the wire: the registry answers on 127.0.0.1:PORT, not on the host's other addresses.
    expect((await fetch(`http://127.0.0.1:${port}/v2/`)).status).toBe(200);
    expect(await accepts(gateway, port)).toBe(false);
    expect(await accepts(gateway, debugPort)).toBe(false);

    // Upstream gone: the same pulls come from the cache.
    await upstream.stop();
    for (const [i, cli] of DOCKER_CLIS.entries()) {
      docker(host, ['rmi', `${names[i]}:1`]);
      const out = docker(s.host, ['pull', `${names[i]}:1`], { cli });
      expect(out).toContain(', served from cache, upstream unreachable');
      expect(docker(host, ['images', '--format', '{{.Repository}}:{{.Tag}}']).split('\n')).toContain(`${names[i]}:1`);
      docker(host, ['rmi', `${names[i]}:1`]);
    }
    await until('all four pulls logged', () => pulls().length === 4, 30_000);
    expect(pulls().map((e) => e.rewrite?.cache)).toEqual([
      ...names.map(() => ({ registry: 'docker.io', outcome: 'used', served: expect.objectContaining({ kind: 'miss' }) })),
      ...names.map(() => ({ registry: 'docker.io', outcome: 'used', upstreamUnreachable: true, served: { kind: 'hit' } })),
    ]);
  });

  it('after its container is stopped by hand and another registry takes its published port, the next pull falls back to the original and never goes to that registry', async () => {
    // The cached registry is the upstream itself, so the original is there to fall back to.
    const upstream: Registry = await startRegistry({ host: gateway, port: await freePort(gateway) });
    cleanups.push(() => upstream.stop());
    const refOf = (name: string) => `${upstream.address}/library/${name}:1`;
    const [first, second] = ['first', 'second'].map((n) => `bridgetaken${process.pid}${n}`) as [string, string];
    for (const name of [first, second]) publishImage(host, refOf(name), refOf(name));

    const [port, debugPort] = [await freePort(), await freePort()];
    const home = mkdtempSync(join(tmpdir(), 'dc-cache-bridge-'));
    cleanups.push(() => rmSync(home, { recursive: true, force: true }));
    writeFileSync(join(home, 'config.yaml'), cacheConfigText({ image, network: 'bridge', registries: { [upstream.address]: { port, debugPort, remote: `http://${upstream.address}` } } }));
    const s: Serve = await startServe({ upstream: host, home });
    cleanups.push(() => removeCaches(host, [cacheName(upstream.address)]));
    cleanups.push(() => s.stop());
    const pulls = () => s.entries.filter((e) => e.route === 'pull');
    docker(s.host, ['pull', refOf(first)]);
    await until('the first pull logged', () => pulls().length === 1, 30_000);
    expect(pulls()[0]!.rewrite?.cache?.outcome).toBe('used');

    docker(host, ['stop', cacheName(upstream.address)]);
    const impostor = await startRegistry({ port });
    cleanups.push(() => impostor.stop());
    importBusyboxImage(host, `${impostor.address}/library/${second}:1`, 'impostor');
    docker(host, ['push', `${impostor.address}/library/${second}:1`]);
    docker(host, ['rmi', `${impostor.address}/library/${second}:1`]);

    // docker-proxy cannot publish the port: the engine refuses to start the container.
    const out = docker(s.host, ['pull', refOf(second)]);
    expect(out).toContain(`the local cache for ${upstream.address} cannot be used: its container does not start:`);
    expect(out).toContain(`127.0.0.1:${port}: bind: address already in use; choose another port for this registry in the cache settings`);
    await until('the second pull logged', () => pulls().length === 2, 30_000);
    expect(pulls()[1]).toMatchObject({ action: 'fell back', rewrite: { cache: { outcome: 'unavailable' } } });
    expect(docker(host, ['run', '--rm', '--network', 'none', refOf(second), 'cat', '/marker']).trim()).toBe(refOf(second));
    for (const name of [first, second]) docker(host, ['rmi', refOf(name)]);
  });
});
