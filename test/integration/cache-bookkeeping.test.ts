// What the engine's caches ask the real dockerd, every call to it seen by a relay in front of
// its socket: a refresh (each health check) reads the containers' states and the list of our
// volumes, never their sizes while there is no volume and, once one is measured, not again; a
// pull the cache served alone (a hit) is recorded for least-recently-pulled eviction and costs
// the engine no call; a miss grows the size by what it fetched, measured only when that comes
// near maxSize or is not known; a maxSize lowered in the config is checked at once.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema, type Config } from '#shared/config/schema';
import { createEngineCaches } from '../../main/engine/cache/engine-caches';
import { rememberedCredentials } from '../../main/engine/rewrite/remembered-credentials';
import { cacheUsagePath } from '../../main/engine/cache/cache-setup';
import { cacheName, OWNER_LABEL, OWNER_VALUE, REGISTRY_LABEL } from '../../main/engine/cache/cache-specs';
import { EngineClient } from '../../main/engine/upstream/engine-client';
import { parseUpstream } from '../../main/engine/upstream/upstream';
import { startEngineRecorder, type EngineRecorder } from '../harness/engine-recorder';
import { docker } from '../harness/real-docker';
import { cacheConfigText, registryImage, removeCaches } from '../harness/cache-fixture';
import { freePort } from '../harness/free-port';

let socket: string;
let host: string;
let image: string;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(() => {
  socket = inject('dockerSocket');
  host = inject('dockerHost');
  image = registryImage(host);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The engine's caches for a docker.io cache of `maxSize`, their engine calls recorded. */
async function caches(maxSize: string): Promise<{ recorder: EngineRecorder; setMaxSize(size: string): void; usage(): string[]; caches: ReturnType<typeof createEngineCaches> }> {
  const recorder = await startEngineRecorder(socket);
  const engine = new EngineClient(() => parseUpstream(recorder.host));
  const home = mkdtempSync(join(tmpdir(), 'dc-cache-books-'));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }), () => recorder.close(), () => engine.close());
  const port = await freePort();
  const configFor = (size: string): Config => configSchema.parse(parse(cacheConfigText({ image, maxSize: size, registries: { 'docker.io': { port, remote: 'http://127.0.0.1:1' } } })));
  let config = configFor(maxSize);
  const configPath = join(home, 'config.yaml');
  const engineCaches = createEngineCaches({ engine, config: () => config, configPath, credentials: rememberedCredentials({ env: {}, home }) });
  return {
    recorder,
    caches: engineCaches,
    setMaxSize: (size) => (config = configFor(size)),
    usage: () => (JSON.parse(readFileSync(cacheUsagePath(configPath), 'utf8')) as { repository: string }[]).map((u) => u.repository),
  };
}

const DF = 'GET /system/df?type=volume';
const VOLUME = cacheName('docker.io');

/** What a refresh may ask: the states of our containers and the list of our volumes. */
const listsOnly = (requests: string[]) => requests.every((r) => r.startsWith('GET /containers/json?') || r.startsWith('GET /volumes?'));

describe('the caches\' sizes', () => {
  it('are never measured while there is no cache volume, measured once there is one, then reused by every refresh and hit', async () => {
    removeCaches(host, [VOLUME]);
    cleanups.push(() => removeCaches(host, [VOLUME]));
    const { recorder, caches: engineCaches } = await caches('20GB');

    for (let i = 0; i < 3; i++) await engineCaches.refresh();
    expect(recorder.requests.length).toBeGreaterThanOrEqual(6);
    expect(listsOnly(recorder.requests)).toBe(true);
    expect(engineCaches.snapshot()).toMatchObject({ totalBytes: 0, registries: [expect.objectContaining({ registry: 'docker.io', sizeBytes: null })] });

    // A cache volume made elsewhere (by `cache up` in another process, say), holding 300 kB.
    docker(host, ['volume', 'create', '--label', `${OWNER_LABEL}=${OWNER_VALUE}`, '--label', `${REGISTRY_LABEL}=docker.io`, VOLUME]);
    docker(host, ['run', '--rm', '--network', 'none', '-v', `${VOLUME}:/var/lib/registry`, '--entrypoint', 'sh', image, '-c', 'busybox head -c 307200 /dev/zero > /var/lib/registry/data']);
    recorder.requests.splice(0);
    await engineCaches.refresh();
    expect(recorder.requests.filter((r) => r === DF)).toHaveLength(1);
    expect(engineCaches.snapshot()?.totalBytes).toBe(307200);
    expect(engineCaches.snapshot()?.sizesEstimated).toBeUndefined();

    recorder.requests.splice(0);
    for (let i = 0; i < 3; i++) await engineCaches.refresh();
    expect(listsOnly(recorder.requests)).toBe(true);
    expect(engineCaches.snapshot()?.registries[0]?.sizeBytes).toBe(307200);
  });

  it('grow by what a miss fetched without a measure, and are measured when that is unknown or comes near maxSize', async () => {
    removeCaches(host, [VOLUME]);
    cleanups.push(() => removeCaches(host, [VOLUME]));
    docker(host, ['volume', 'create', '--label', `${OWNER_LABEL}=${OWNER_VALUE}`, '--label', `${REGISTRY_LABEL}=docker.io`, VOLUME]);
    docker(host, ['run', '--rm', '--network', 'none', '-v', `${VOLUME}:/var/lib/registry`, '--entrypoint', 'sh', image, '-c', 'busybox head -c 307200 /dev/zero > /var/lib/registry/data']);
    const { recorder, caches: engineCaches, setMaxSize, usage } = await caches('20GB');
    await engineCaches.refresh();
    expect(recorder.requests).toContain(DF);

    // A hit stored nothing: recorded, no call at all.
    recorder.requests.splice(0);
    await engineCaches.pulled('docker.io', 'library/warm', { kind: 'hit' });
    expect(usage()).toEqual(['library/warm']);
    expect(recorder.requests).toEqual([]);

    // A miss far from maxSize: the size grows by what it fetched, unmeasured.
    await engineCaches.pulled('docker.io', 'library/cold', { kind: 'miss', layersFetched: 1, layers: 1, bytes: 1000 });
    expect(usage()).toEqual(['library/warm', 'library/cold']);
    expect(recorder.requests).not.toContain(DF);
    expect(engineCaches.snapshot()).toMatchObject({ totalBytes: 308200, sizesEstimated: true });

    // Counters that could not tell (pulls overlapped): the cache may have grown by anything, so it is measured.
    recorder.requests.splice(0);
    await engineCaches.pulled('docker.io', 'library/told', { kind: 'unknown', reason: '2 pulls overlapped' });
    expect(recorder.requests).toContain(DF);
    expect(engineCaches.snapshot()?.totalBytes).toBe(307200);
    expect(engineCaches.snapshot()?.sizesEstimated).toBeUndefined();

    // A raised maxSize needs nothing; a lowered one that measured sizes fit needs no measure either.
    recorder.requests.splice(0);
    setMaxSize('30GB');
    await engineCaches.settingsChanged();
    expect(recorder.requests).toEqual([]);
    setMaxSize('400000');
    await engineCaches.settingsChanged();
    expect(recorder.requests.length).toBeGreaterThan(0);
    expect(listsOnly(recorder.requests)).toBe(true);

    // An estimate near maxSize is measured before anything could be evicted: the measure says it fits.
    await engineCaches.pulled('docker.io', 'library/near', { kind: 'miss', layersFetched: 1, layers: 1, bytes: 80_000 });
    expect(recorder.requests.filter((r) => r === DF)).toHaveLength(1);
    expect(engineCaches.snapshot()?.totalBytes).toBe(307200);
    expect(usage()).toEqual(['library/warm', 'library/cold', 'library/told', 'library/near']);
  });
});
