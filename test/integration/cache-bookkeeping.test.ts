// What the engine's caches do after a pull through one has answered, on the real dockerd,
// every call to it seen by a relay in front of its socket: a pull the cache served alone (a
// hit) is recorded for least-recently-pulled eviction and costs the engine no call (nothing
// new was stored, so no size can have grown); after a miss the caches' sizes are read to keep
// them under maxSize; and a maxSize lowered in the config is enforced at once, since hits no
// longer look.
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { configSchema, type Config } from '#shared/config/schema';
import { createEngineCaches } from '../../main/engine/cache/engine-caches';
import { cacheUsagePath } from '../../main/engine/cache/cache-setup';
import { EngineClient } from '../../main/engine/upstream/engine-client';
import { parseUpstream } from '../../main/engine/upstream/upstream';
import { startEngineRecorder, type EngineRecorder } from '../harness/engine-recorder';
import { cacheConfigText, freePort, registryImage } from '../harness/cache-fixture';

let socket: string;
let image: string;
const cleanups: (() => Promise<unknown> | void)[] = [];

beforeAll(() => {
  socket = inject('dockerSocket');
  image = registryImage(inject('dockerHost'));
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
  const engineCaches = createEngineCaches({ engine, config: () => config, configPath, env: {}, home });
  return {
    recorder,
    caches: engineCaches,
    setMaxSize: (size) => (config = configFor(size)),
    usage: () => (JSON.parse(readFileSync(cacheUsagePath(configPath), 'utf8')) as { repository: string }[]).map((u) => u.repository),
  };
}

describe('bookkeeping after a pull through a cache', () => {
  it('records a hit without a call to the engine, reads the sizes after a miss, and enforces a lowered maxSize at once', async () => {
    const { recorder, caches: engineCaches, setMaxSize, usage } = await caches('20GB');

    await engineCaches.pulled('docker.io', 'library/warm', { kind: 'hit' });
    expect(usage()).toEqual(['library/warm']);
    expect(recorder.requests).toEqual([]);

    await engineCaches.pulled('docker.io', 'library/cold', { kind: 'miss', layersFetched: 1, layers: 1 });
    expect(usage()).toEqual(['library/warm', 'library/cold']);
    expect(recorder.requests).toContain('GET /system/df?type=volume');

    // Counters that could not tell (pulls overlapped): the cache may have grown, so it is measured.
    recorder.requests.splice(0);
    await engineCaches.pulled('docker.io', 'library/told', { kind: 'unknown', reason: '2 pulls overlapped' });
    expect(recorder.requests).toContain('GET /system/df?type=volume');

    // A raised maxSize needs nothing; a lowered one is checked now, not at the next miss.
    recorder.requests.splice(0);
    setMaxSize('30GB');
    await engineCaches.settingsChanged();
    expect(recorder.requests).toEqual([]);
    setMaxSize('1GB');
    await engineCaches.settingsChanged();
    expect(recorder.requests).toContain('GET /system/df?type=volume');
  });
});
