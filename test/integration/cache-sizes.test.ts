// The local caches' sizes as serve keeps them, on the real dockerd with a Distribution cache
// filled from a real upstream registry, every call serve and `cache status` make to the engine
// seen by a relay in front of its socket: through a miss, a hit and the health checks after
// them, serve never asks for `/system/df` (it walks every volume on the engine's host);
// `cache status` measures, and its sizes are the engine's own count of the cache's volume.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheName } from '../../main/engine/cache/cache-specs';
import { EngineClient } from '../../main/engine/upstream/engine-client';
import { parseUpstream } from '../../main/engine/upstream/upstream';
import { DOCKER_CLIS, docker, publishImage, startRegistry } from '../harness/real-docker';
import { startEngineRecorder } from '../harness/engine-recorder';
import { CLI, startServe } from '../harness/serve';
import { until } from '../harness/wait';
import { cacheConfigText, registryImage, removeCaches } from '../harness/cache-fixture';
import { freePort } from '../harness/free-port';

let host: string;
let image: string;
const cleanups: (() => Promise<unknown> | void)[] = [];
const HUB_CACHE = cacheName('docker.io');
const DF = /^GET (\/v[\d.]+)?\/system\/df/;
const HEALTH_CHECK = /^GET (\/v[\d.]+)?\/version$/;

beforeAll(() => {
  host = inject('dockerHost');
  image = registryImage(host);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The engine's own count of a volume's bytes, asked directly (not through the relay). */
async function engineVolumeSize(volume: string): Promise<number | undefined> {
  const engine = new EngineClient(() => parseUpstream(host));
  try {
    const res = await engine.call('GET', '/system/df?type=volume');
    const { Volumes } = JSON.parse(res.text) as { Volumes: { Name: string; UsageData: { Size: number } | null }[] | null };
    return Volumes?.find((v) => v.Name === volume)?.UsageData?.Size;
  } finally {
    engine.close();
  }
}

describe('the local caches\' sizes in serve', () => {
  it('cost no df through a miss, a hit and the health checks after them; cache status measures the engine\'s exact count', async () => {
    removeCaches(host, [HUB_CACHE]);
    cleanups.push(() => removeCaches(host, [HUB_CACHE]));
    const upstream = await startRegistry({ port: await freePort() });
    cleanups.push(() => upstream.stop());
    const name = `sizes${process.pid}`;
    const ref = `${upstream.address}/library/${name}:1`;
    publishImage(host, ref, ref);
    const recorder = await startEngineRecorder(inject('dockerSocket'));
    cleanups.push(() => recorder.close());
    const dir = mkdtempSync(join(tmpdir(), 'dc-cache-sizes-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const config = join(dir, 'config.yaml');
    writeFileSync(config, cacheConfigText({ image, registries: { 'docker.io': { port: await freePort(), debugPort: await freePort(), remote: `http://${upstream.address}` } } }));
    const s = await startServe({ upstream: recorder.host, home: dir });
    cleanups.push(() => s.stop());
    const pulled = (n: number) => until(`pull ${n} of ${name}:1`, () => s.entries.filter((e) => e.route === 'pull' && e.rewrite?.original === `docker.io/library/${name}:1`).length >= n, 60_000)
      .then(() => s.entries.filter((e) => e.route === 'pull' && e.rewrite?.original === `docker.io/library/${name}:1`)[n - 1]!);

    // Child processes run apart from this one: the relay, in this process, must never be blocked.
    const run = (file: string, args: string[], env: NodeJS.ProcessEnv) => promisify(execFile)(file, args, { env: { ...process.env, ...env }, timeout: 120_000 });
    const pull = () => run(DOCKER_CLIS[0], ['pull', `${name}:1`], { DOCKER_HOST: s.host });

    await pull();
    expect((await pulled(1)).rewrite?.cache?.served?.kind).toBe('miss');
    docker(host, ['rmi', `${name}:1`]);
    await pull();
    expect((await pulled(2)).rewrite?.cache?.served?.kind).toBe('hit');
    docker(host, ['rmi', `${name}:1`]);

    // Two health checks after the hit (every 15 s), each with its refresh of the caches' state.
    const checks = () => recorder.requests.filter((r) => HEALTH_CHECK.test(r)).length;
    const after = checks();
    await until('two health checks after the hit', () => checks() >= after + 2, 60_000);
    expect(recorder.requests.filter((r) => r.includes('/containers/json?')).length).toBeGreaterThanOrEqual(3);
    expect(recorder.requests.filter((r) => DF.test(r))).toEqual([]);

    // Asked for by name: measured now, and the engine's own count.
    const status = await run(process.execPath, [CLI, 'cache', 'status', '--json', '--config', config, '--upstream', recorder.host], { DOCKER_HOST: '' });
    expect(status.stderr).toBe('');
    expect(recorder.requests.filter((r) => DF.test(r))).toHaveLength(1);
    const { sizeBytes } = JSON.parse(status.stdout) as { sizeBytes: number };
    expect(sizeBytes).toBeGreaterThan(500_000);
    expect(sizeBytes).toBe(await engineVolumeSize(HUB_CACHE));
  });
});
