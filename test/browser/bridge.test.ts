// The bridge harness end to end in Chromium: the real preload bundle, the real IPC
// registration and handlers, the real event batcher, over a fake Engine and then the real
// engine proxying to the real dockerd, with a small stand-in page (test/harness/bridge-page).
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Result } from '#shared/ipc';
import type { LogEntry } from '#shared/log';
import type { Engine } from '../../main/engine/engine';
import { startEngine } from '../../main/engine/start';
import { openApp, type OpenedApp } from '../harness/bridge';
import { FakeEngine, logDetail, pullDetail } from '../harness/fake-engine';
import { DOCKER_CLIS, docker, importBusyboxImage } from '../harness/real-docker';

const pageRoot = fileURLToPath(new URL('../harness/bridge-page', import.meta.url));
const dockerPull = (dockerHost: string, ref: string) =>
  promisify(execFile)(DOCKER_CLIS[0]!, ['pull', ref], { env: { ...process.env, DOCKER_HOST: dockerHost }, timeout: 60_000 });
const opened: OpenedApp[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});

async function open(engine: Engine, opts: Parameters<typeof openApp>[1] = {}) {
  const app = await openApp(engine, { root: pageRoot, ...opts });
  opened.push(app);
  await app.page.waitForFunction(() => document.getElementById('listening')!.textContent !== '');
  return app;
}

type Seen = { batches: number[][]; cleared: number; status: { enabled: boolean }[]; config: { revision: number }[]; views: string[]; rows: Map<number, LogEntry> };
const seen = (page: Page) => page.evaluate(() => {
  const s = (window as unknown as { seen: Seen }).seen;
  return { batches: s.batches, cleared: s.cleared, status: s.status, config: s.config, views: s.views, rows: [...s.rows.keys()] };
});
const invoke = (page: Page, channel: string, ...args: unknown[]) =>
  page.evaluate(([c, a]) => (window as unknown as { dockerCaching: { invoke(c: string, ...a: unknown[]): Promise<Result<unknown>> } }).dockerCaching.invoke(c, ...a), [channel, args] as const);

describe('bridge harness with a fake engine', () => {
  it('gives the page window.dockerCaching and nothing of Node or Electron, under the app CSP', async () => {
    const app = await open(new FakeEngine());
    const globals = await app.page.evaluate(() => ({
      keys: Object.keys((window as unknown as { dockerCaching: object }).dockerCaching).sort(),
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
      module: (window as unknown as { moduleScriptRan?: boolean }).moduleScriptRan,
      inline: (window as unknown as { inlineScriptRan?: boolean }).inlineScriptRan,
    }));
    expect(globals).toEqual({ keys: ['invoke', 'on'], require: 'undefined', process: 'undefined', module: true, inline: undefined });
    expect(app.errors).toEqual([expect.stringMatching(/inline script violates .*Content Security Policy directive 'script-src 'self''.*blocked/)]);
    expect(await app.page.textContent('#listening')).toBe('/run/user/1000/docker-caching/docker.sock');
  });

  it('calls the engine through the real validation and envelope', async () => {
    const engine = new FakeEngine();
    const app = await open(engine);
    expect(await invoke(app.page, 'config.setEnabled', false)).toMatchObject({ ok: true, value: { config: { enabled: false }, revision: 2 } });
    expect(engine.config.get().config.enabled).toBe(false);
    expect(await invoke(app.page, 'config.setEnabled', 'no')).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid request for config\.setEnabled: /) });
    expect(await invoke(app.page, 'engine.exec', 'rm -rf /')).toMatchObject({ ok: false, error: expect.stringMatching(/^docker-caching has no "engine\.exec" request/) });
    expect(await invoke(app.page, 'rules.draft', { mirrors: ['localhost:5000'] })).toEqual({ ok: true });
    expect(await invoke(app.page, 'mirror.check', { location: 'localhost:5000' })).toMatchObject({ ok: true, value: { state: 'reachable' } });
    expect(await invoke(app.page, 'mirror.check', { location: '169.254.169.254' })).toMatchObject({ ok: false, error: expect.stringContaining('is not a mirror in the saved rules') });
    expect(engine.mirrorChecks).toEqual(['localhost:5000']);
    expect(await invoke(app.page, 'app.openExternal', 'https://docs.docker.com/')).toEqual({ ok: true });
    expect(await invoke(app.page, 'app.openExternal', 'https://evil.example/')).toMatchObject({ ok: false });
    expect(app.openedExternally).toEqual(['https://docs.docker.com/']);
  });

  it('lets a page that is not what it seems make main probe only the draft it reported, a few hosts a minute', async () => {
    const engine = new FakeEngine();
    const app = await open(engine);
    expect(await invoke(app.page, 'mirror.check', { location: '169.254.169.254' })).toMatchObject({ ok: false, error: expect.stringContaining('is not a mirror in the saved rules') });
    const tooMany = Array.from({ length: 257 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}`);
    expect(await invoke(app.page, 'rules.draft', { mirrors: tooMany })).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid request for rules\.draft: mirrors: /) });
    expect(await invoke(app.page, 'rules.draft', { mirrors: ['x'.repeat(256)] })).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid request for rules\.draft: /) });
    const hosts = tooMany.slice(0, 12);
    expect(await invoke(app.page, 'rules.draft', { mirrors: hosts })).toEqual({ ok: true });
    const replies = [];
    for (const location of hosts) replies.push(await invoke(app.page, 'mirror.check', { location }));
    expect(replies.slice(0, 10).every((r) => (r as Result<unknown>).ok)).toBe(true);
    expect(replies.slice(10)).toEqual(hosts.slice(10).map((location) => ({
      ok: false, error: expect.stringMatching(new RegExp(`^${location.replace(/\./g, '\\.')} was not checked: checks of mirrors that are not saved yet are limited to 10 a minute; try again in \\d+ s, or save the rules first$`)),
    })));
    expect(engine.mirrorChecks).toEqual(hosts.slice(0, 10));
  });

  it('fetches a request detail on demand, with its redacted headers', async () => {
    const engine = new FakeEngine();
    engine.logs.begin(logDetail({ requestHeaders: [['X-Registry-Auth', '<redacted>']] }));
    const app = await open(engine);
    expect(await invoke(app.page, 'logs.detail', 1)).toMatchObject({ ok: true, value: { seq: 1, requestHeaders: [['X-Registry-Auth', '<redacted>']] } });
    expect(await invoke(app.page, 'logs.snapshot', { limit: 10 })).toMatchObject({ ok: true, value: { lastSeq: 1, entries: [{ seq: 1 }] } });
  });

  it('streams log entries to the page in batches, not one message each', async () => {
    const engine = new FakeEngine();
    const app = await open(engine);
    for (let i = 0; i < 1200; i++) engine.logs.begin(logDetail());
    await app.delivered();
    const { batches, rows } = await seen(app.page);
    expect(batches.map((b) => b.length)).toEqual([500, 500, 200]);
    expect(rows).toHaveLength(1200);
    expect(await app.page.textContent('#rows')).toBe('1200');
  });

  it('delivers a batch on its own timer, without a flush from the test', async () => {
    const engine = new FakeEngine();
    const app = await open(engine);
    engine.logs.begin(logDetail());
    await app.page.waitForFunction(() => document.getElementById('rows')!.textContent === '1', undefined, { timeout: 1000 });
  });

  it('sends nothing while hidden and re-syncs from the snapshot when shown', async () => {
    const engine = new FakeEngine();
    engine.logs.begin(logDetail());
    const app = await open(engine);
    await app.setVisible(false);
    engine.logs.begin(logDetail());
    engine.logs.begin(logDetail());
    // Flushes whatever the hidden window's feed holds and waits until it reached the page.
    await app.delivered();
    expect((await seen(app.page)).batches).toEqual([]);
    await app.setVisible(true);
    expect(await seen(app.page)).toMatchObject({ cleared: 1, batches: [[1, 2, 3]], rows: [1, 2, 3] });
  });

  it('pushes status, config and view changes, and clearing the log', async () => {
    const engine = new FakeEngine();
    const app = await open(engine, { view: 'rules' });
    expect(await app.page.textContent('#view')).toBe('rules');
    engine.setStatus({ enabled: false });
    await invoke(app.page, 'config.setRuleEnabled', { index: 0, enabled: false });
    await engine.config.setEnabled(false);
    await app.showView('inspector');
    engine.logs.begin(pullDetail('ubuntu:18.04'));
    await app.delivered();
    expect(await invoke(app.page, 'logs.clear')).toEqual({ ok: true });
    await app.delivered();
    const s = await seen(app.page);
    expect(s.status.map((x) => x.enabled)).toEqual([false]);
    expect(s.config.map((x) => x.revision)).toEqual([2]);
    expect(s.views).toEqual(['inspector']);
    expect(await app.page.textContent('#view')).toBe('inspector');
    expect(s.cleared).toBe(1);
    expect(s.rows).toEqual([]);
  });

  it('answers only pages from the app origin', async () => {
    const app = await open(new FakeEngine());
    // Same files, another origin: the preload is there too, but main must refuse it.
    const other = await openApp(new FakeEngine(), { root: pageRoot });
    opened.push(other);
    const foreign = `${new URL(other.page.url()).origin}/index.html`;
    await app.page.goto(foreign);
    const reply = await invoke(app.page, 'status.get');
    expect(reply).toEqual({ ok: false, error: expect.stringMatching(/^refused status\.get from http:\/\/127\.0\.0\.1:\d+\/index\.html: only docker-caching's own pages may call it$/) });
  });

  it('follows the colour scheme asked for', async () => {
    const dark = await open(new FakeEngine(), { colorScheme: 'dark' });
    expect(await dark.page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches)).toBe(true);
  });
});

describe('bridge harness with the real engine and dockerd', () => {
  it('shows a pull made through the proxy as redirected, with its trace', async () => {
    const host = inject('dockerHost');
    const mirror = inject('mirror');
    const name = `bridge${process.pid}`;
    importBusyboxImage(host, `${mirror}/${name}:1`);
    docker(host, ['push', `${mirror}/${name}:1`]);
    docker(host, ['rmi', `${mirror}/${name}:1`]);

    const home = mkdtempSync(join(tmpdir(), 'dc-bridge-'));
    const configPath = join(home, 'config.yaml');
    writeFileSync(configPath, `version: 1\nrules:\n  - from: docker.io/library\n    to: ${mirror}\n    fallback: false\n`);
    const listen = join(home, 'docker-caching.sock');
    const engine = await startEngine({ configPath, listen, upstream: host, env: {}, home });
    try {
      const app = await open(engine);
      // Asynchronously: the proxy runs in this very process and must keep serving meanwhile.
      await dockerPull(`unix://${listen}`, `${name}:1`);
      await app.page.waitForFunction((image) => {
        const rows = (window as unknown as { seen: Seen }).seen.rows;
        return [...rows.values()].some((e) => e.route === 'pull' && !e.pending && e.image?.includes(image));
      }, name, { timeout: 30_000 });
      const pull = await app.page.evaluate((image) => [...(window as unknown as { seen: Seen }).seen.rows.values()].find((e) => e.route === 'pull' && e.image?.includes(image)), name);
      expect(pull).toMatchObject({ action: 'redirected', status: 200, rewrite: { original: `docker.io/library/${name}:1`, source: `${mirror}/${name}:1` } });
      expect(pull).not.toHaveProperty('requestHeaders');
      const detail = await invoke(app.page, 'logs.detail', pull!.seq);
      expect(detail).toMatchObject({ ok: true, value: { seq: pull!.seq, requestHeaders: expect.any(Array) } });
    } finally {
      await engine.stop();
      docker(host, ['rmi', '-f', `${name}:1`]);
    }
  });
});
