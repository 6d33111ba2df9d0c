// The local cache in the renderer, built, in Debian's Chromium with the fake bridge: its
// settings form edits the draft with the schema's validation and saves it, the status strip
// shows its size or its error, the header counts pulls from the cache, and a pull's trace
// says whether it went through the cache.
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Config } from '#shared/config/schema';
import type { CacheStatus } from '#shared/ipc';
import type { CacheServed, LogDetail } from '#shared/log';
import { calls, entries, pushEntries, redirectedPull, screenshot, status, throughCache, useRendererPage } from './renderer-fixture';

const open = useRendererPage();

async function openRules(): Promise<Page> {
  const page = await open();
  await page.getByRole('tab', { name: 'Rules' }).click();
  await page.getByRole('list', { name: /Rules/ }).waitFor();
  return page;
}
const cacheForm = (page: Page): Locator => page.getByRole('region', { name: 'Local cache settings' });

const cache: CacheStatus = {
  enabled: true,
  maxSizeBytes: 20e9,
  totalBytes: 1.5 * 2 ** 30,
  sizesMeasuredAt: Date.now(),
  sizesEstimated: true,
  registries: [
    { registry: 'docker.io', port: 5050, state: 'running', container: 'docker-caching-cache-docker.io', sizeBytes: 1.5 * 2 ** 30, remote: 'https://registry-1.docker.io' },
    { registry: 'ghcr.io', port: 5051, state: 'not started', container: null, sizeBytes: null, remote: 'https://ghcr.io' },
  ],
};

describe('local cache settings form', () => {
  it('edits the cache section with inline problems and saves it', async () => {
    const page = await openRules();
    const form = cacheForm(page);
    await form.getByLabel('Maximum size').fill('lots');
    expect(await form.locator('.field-error').first().innerText()).toContain('must be a size such as 20GB');
    await form.getByLabel('Maximum size').fill('5GB');
    await form.getByLabel('Port for ghcr.io').fill('5050');
    expect(await form.getByRole('alert').innerText()).toContain('is also the port of docker.io');
    await form.getByLabel('Port for ghcr.io').fill('6051');
    await form.getByLabel('Cache quay.io').uncheck();
    await form.getByLabel('Network').selectOption('host');
    expect(await form.getByRole('alert').count()).toBe(0);
    await screenshot(page, 'rules-cache-form');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Unsaved changes' }).waitFor({ state: 'detached' });
    const [saved] = (await calls(page, 'config.save')) as { config: Config }[];
    expect(saved!.config.cache).toEqual({
      enabled: true, image: 'registry:2', network: 'host', ttl: '168h', maxSize: '5GB',
      registries: { 'ghcr.io': { credentials: false, port: 6051 }, 'quay.io': false },
    });
    await page.close();
  });
});

describe('local cache as a mirror', () => {
  it('adds the local cache to a rule\'s mirrors, with its path, and labels it', async () => {
    const page = await openRules();
    const form = page.locator('.rule-form');
    await form.getByRole('button', { name: 'Add the local cache' }).click();
    expect(await form.getByLabel('Mirror 3 location').inputValue()).toBe('127.0.0.1:5050/library');
    expect(await form.getByTestId('mirror-cache').innerText()).toBe('local cache (docker.io)');
    expect(await form.getByRole('button', { name: 'Add the local cache' }).count()).toBe(0);
    await page.close();
  });
});

describe('local cache in the header and the inspector', () => {
  it('shows the cache size against maxSize, or the first error, and counts pulls from the cache', async () => {
    const page = await open({}, { status: { ...status, cache } });
    const strip = page.getByTestId('strip-cache');
    expect(await strip.innerText()).toMatch(/cache\s+1\.6 GB of 20 GB/i);
    expect(await strip.getAttribute('title')).toMatch(/\nSizes measured at \d\d?:\d\d( [AP]M)?, plus what pulls fetched since$/);
    expect(await page.getByRole('list', { name: 'Counters' }).or(page.locator('.counters')).innerText()).toMatch(/from cache\s+30/);
    await page.evaluate((s) => window.__fake.emit('status.changed', s), {
      ...status, cache: { ...cache, registries: [{ ...cache.registries[1]!, state: 'error' as const, error: 'its port 5051 is taken' }] },
    });
    await strip.locator('.strip-bad').waitFor();
    expect(await strip.innerText()).toContain('ghcr.io: its port 5051 is taken');
    await page.close();
  });

  it('says in a pull\'s trace that it went through the cache, and when the upstream was unreachable', async () => {
    const viaCache = throughCache({ outcome: 'used', upstreamUnreachable: true });
    const page = await open({}, { details: { [redirectedPull.seq]: viaCache } });
    await pushEntries(page, entries.map((e) => (e.seq === redirectedPull.seq ? { ...e, rewrite: viaCache.rewrite } : e)));
    await page.locator(`[data-seq="${redirectedPull.seq}"]`).click();
    const trace = page.getByRole('complementary', { name: 'Request detail' }).getByRole('region', { name: 'Rewrite trace' });
    await trace.waitFor();
    expect(await trace.getByTestId('trace-cache').innerText()).toBe('served from cache, upstream unreachable');
    expect(await trace.innerText()).toContain('local cache (docker.io)');
    await page.close();
  });

  it('says whether a pull through the cache was a hit or a miss, in the trace and the list', async () => {
    const told = (served: CacheServed): LogDetail => throughCache({ outcome: 'used', served });
    const cases: [CacheServed, string, string][] = [
      [{ kind: 'miss', layersFetched: 2, layers: 3, bytes: 32_500_000 }, 'fetched from upstream: 2 of 3 layers, 33 MB', 'local cache (docker.io), miss'],
      [{ kind: 'hit' }, 'served from cache', 'local cache (docker.io), hit'],
      [{ kind: 'unknown', reason: '2 pulls overlapped' }, 'hit/miss unknown: 2 pulls overlapped', 'local cache (docker.io)'],
    ];
    for (const [served, traceText, listText] of cases) {
      const detail = told(served);
      const page = await open({}, { details: { [redirectedPull.seq]: detail } });
      await pushEntries(page, entries.map((e) => (e.seq === redirectedPull.seq ? { ...e, rewrite: detail.rewrite } : e)));
      const row = page.locator(`[data-seq="${redirectedPull.seq}"]`);
      expect(await row.innerText()).toContain(listText);
      await row.click();
      const trace = page.getByRole('complementary', { name: 'Request detail' }).getByRole('region', { name: 'Rewrite trace' });
      await trace.waitFor();
      expect(await trace.getByTestId('trace-cache').innerText()).toBe(traceText);
      await page.close();
    }
  });
});
