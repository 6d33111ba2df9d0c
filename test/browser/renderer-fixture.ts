// Canned engine state for the renderer's browser tests: a status, a config with rules, and a
// handful of log entries (a redirected pull with its full trace and detail, a fallback, a
// block, a failure, routine calls), plus helpers to reach the fake bridge from a test.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { defaultConfig, type Config } from '#shared/config/schema';
import type { ConfigState, Status } from '#shared/ipc';
import type { CacheTrace, LogDetail, LogEntry } from '#shared/log';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { launchChromium, openRenderer, serveRenderer, type FakeApiInit, type FakeHandle } from '../bench/ui-page.mjs';

export const SOCKET = '/run/user/1000/docker-caching/docker.sock';
export const T0 = Date.UTC(2025, 4, 6, 9, 41, 7, 120);

export const status: Status = {
  listening: SOCKET,
  upstream: { address: 'unix:///var/run/docker.sock', healthy: true, version: '20.10.24' },
  enabled: true,
  configPath: '/home/dev/.config/docker-caching/config.yaml',
  counters: { redirected: 42, fellBack: 3, blocked: 1, failed: 1, bytesFromMirrors: 1_873_000_000, fromCache: 30 },
  dockerContextActive: true,
};

export const config: Config = {
  version: 1,
  enabled: true,
  upstream: 'auto',
  notifications: true,
  rules: [
    { from: 'docker.io/library', to: ['localhost:5000', 'mirror.internal:5000/hub'], name: 'Hub official images', enabled: true, fallback: true, retag: true, keepMirrorTag: false, digestOnly: false },
    { from: 'ghcr.io', to: ['ghcr-cache.internal'], enabled: true, fallback: false, retag: true, keepMirrorTag: false, digestOnly: false },
    { from: 'docker.io/badcorp', block: 'Images from badcorp are not allowed: use registry.corp/approved instead.', enabled: true },
  ],
  cache: defaultConfig.cache,
};

export const configState: ConfigState = { config, revision: 7, path: '/home/dev/.config/docker-caching/config.yaml' };

const routine = (seq: number, over: Partial<LogEntry>): LogEntry => ({
  seq, time: T0 + seq * 137, method: 'GET', path: '/v1.41/containers/json', apiVersion: '1.41', route: 'list containers',
  status: 200, pending: false, durationMs: 4, bytesIn: 0, bytesOut: 2_310, action: 'passed', upgraded: false, ...over,
});

export const redirectedPull: LogEntry = routine(4, {
  method: 'POST', path: '/v1.41/images/create?fromImage=ubuntu&tag=18.04', route: 'pull', image: 'ubuntu:18.04',
  durationMs: 2_431, bytesOut: 18_400, imageBytes: 26_700_000, action: 'redirected',
  rewrite: {
    original: 'docker.io/library/ubuntu:18.04',
    rule: { index: 0, from: 'docker.io/library', name: 'Hub official images' },
    action: 'mirror',
    candidates: [
      { ref: 'localhost:5000/ubuntu:18.04', kind: 'mirror', outcome: 'failed', reason: 'manifest for localhost:5000/ubuntu:18.04 not found: manifest unknown', startedMs: 3, durationMs: 41 },
      { ref: 'mirror.internal:5000/hub/ubuntu:18.04', kind: 'mirror', outcome: 'ok', startedMs: 46, durationMs: 2_350 },
    ],
    source: 'mirror.internal:5000/hub/ubuntu:18.04',
    retag: [{ ref: 'docker.io/library/ubuntu:18.04', ok: true }],
    untag: [{ ref: 'mirror.internal:5000/hub/ubuntu:18.04', ok: true }],
  },
});

export const redirectedDetail: LogDetail = {
  ...redirectedPull,
  requestHeaders: [['Host', 'api.moby.localhost'], ['User-Agent', 'Docker-Client/28.0.1 (linux)'], ['X-Registry-Auth', '<redacted>'], ['Content-Type', 'text/plain']],
  responseHeaders: [['Api-Version', '1.41'], ['Content-Type', 'application/json'], ['Docker-Experimental', 'false']],
  forwardedPath: '/v1.41/images/create?fromImage=mirror.internal%3A5000%2Fhub%2Fubuntu&tag=18.04',
  progress: { layers: 3, layersDone: 3, bytesTotal: 26_700_000, bytesDone: 26_700_000 },
};

/** The redirected pull's detail as if it had gone through the local cache for docker.io. */
export function throughCache(cache: Omit<CacheTrace, 'registry'>): LogDetail {
  return {
    ...redirectedDetail,
    rewrite: {
      ...redirectedDetail.rewrite!,
      rule: { index: -1, from: 'docker.io', name: 'local cache (docker.io)', cache: 'docker.io' },
      cache: { registry: 'docker.io', ...cache },
    },
  };
}

export const entries: LogEntry[] = [
  routine(1, { method: 'HEAD', path: '/_ping', route: 'ping', durationMs: 1, bytesOut: 220 }),
  routine(2, { path: '/v1.41/version', route: 'version', durationMs: 2, bytesOut: 850 }),
  routine(3, {}),
  redirectedPull,
  routine(5, {
    method: 'POST', path: '/v1.41/images/create?fromImage=ghcr.io%2Forg%2Fapi&tag=2.3', route: 'pull', image: 'ghcr.io/org/api:2.3',
    status: 500, durationMs: 612, bytesOut: 310, action: 'failed',
    error: 'ghcr-cache.internal/org/api:2.3 could not be pulled (connection refused) and rule 2 does not fall back to ghcr.io',
    rewrite: {
      original: 'ghcr.io/org/api:2.3', rule: { index: 1, from: 'ghcr.io' }, action: 'mirror',
      candidates: [{ ref: 'ghcr-cache.internal/org/api:2.3', kind: 'mirror', outcome: 'failed', reason: 'connection refused', startedMs: 2, durationMs: 604 }],
      retag: [], untag: [],
    },
  }),
  routine(6, { method: 'POST', path: '/v1.41/containers/create?name=web', route: 'create container', image: 'ubuntu:18.04', status: 201, durationMs: 38, bytesOut: 88 }),
  routine(7, {
    method: 'POST', path: '/v1.41/images/create?fromImage=redis&tag=7', route: 'pull', image: 'redis:7', durationMs: 5_204, bytesOut: 40_900, action: 'fell back',
    rewrite: {
      original: 'docker.io/library/redis:7', rule: { index: 0, from: 'docker.io/library', name: 'Hub official images' }, action: 'mirror',
      candidates: [
        { ref: 'localhost:5000/redis:7', kind: 'mirror', outcome: 'failed', reason: 'manifest unknown', startedMs: 2, durationMs: 30 },
        { ref: 'mirror.internal:5000/hub/redis:7', kind: 'mirror', outcome: 'failed', reason: 'connection refused', startedMs: 33, durationMs: 12 },
        { ref: 'docker.io/library/redis:7', kind: 'original', outcome: 'ok', startedMs: 46, durationMs: 5_150 },
      ],
      source: 'docker.io/library/redis:7', retag: [], untag: [],
    },
  }),
  routine(8, {
    method: 'POST', path: '/v1.41/images/create?fromImage=badcorp%2Fminer&tag=latest', route: 'pull', image: 'badcorp/miner:latest',
    status: 403, durationMs: 1, bytesOut: 160, action: 'blocked',
    error: 'Rule 3 (from docker.io/badcorp) blocks docker.io/badcorp/miner:latest: Images from badcorp are not allowed: use registry.corp/approved instead.',
    rewrite: { original: 'docker.io/badcorp/miner:latest', rule: { index: 2, from: 'docker.io/badcorp' }, action: 'block', candidates: [], retag: [], untag: [] },
  }),
  routine(9, { method: 'POST', path: '/v1.41/containers/3f2a/start', route: 'start', status: 204, durationMs: 212, bytesOut: 0 }),
  routine(10, { method: 'POST', path: '/v1.41/containers/3f2a/attach?stream=1&stdout=1', route: 'attach', status: 101, pending: true, durationMs: 9_000, bytesOut: 5_120, upgraded: true }),
  routine(11, { method: 'DELETE', path: '/v1.41/containers/old', route: 'remove container', status: 404, durationMs: 3, bytesOut: 70 }),
  routine(12, { path: '/v1.41/images/json', route: 'list images', durationMs: 9, bytesOut: 7_450 }),
];

/** A config file that was invalid when the app started: no rules run, the problem is reported. */
export const fileProblem = {
  file: configState.path, line: 4, field: 'rules.0.to',
  message: 'must not start with https://: write just the registry, such as mirror.example.com',
};
export const invalidAtStart: Partial<FakeApiInit> = {
  config: { config: { ...config, rules: [] }, revision: 1, path: configState.path, error: fileProblem },
  status: { ...status, configError: fileProblem, dockerContextActive: false, counters: { redirected: 0, fellBack: 0, blocked: 0, failed: 0, bytesFromMirrors: 0, fromCache: 0 } },
};

/** The engine does not answer. */
export const engineDown: Partial<FakeApiInit> = {
  status: { ...status, upstream: { address: 'unix:///var/run/docker.sock', healthy: false, error: 'connect ENOENT /var/run/docker.sock' } },
};

/** A new user: nothing set up yet (the local cache switched off, so nothing redirects pulls). */
export const firstRun: Partial<FakeApiInit> = {
  config: { config: { ...config, rules: [], cache: { ...config.cache, enabled: false } }, revision: 1, path: configState.path },
  status: { ...status, dockerContextActive: false, counters: { redirected: 0, fellBack: 0, blocked: 0, failed: 0, bytesFromMirrors: 0, fromCache: 0 } },
};

export function init(over: Partial<FakeApiInit> = {}): FakeApiInit {
  return { status, config: configState, details: { 4: redirectedDetail }, ...over };
}

declare global {
  interface Window {
    __fake: FakeHandle;
  }
}

/**
 * Resolves once the page has drawn `count` more frames: what was delivered before has then
 * reached the store (the log lands once per frame), React's commit and the list's layout.
 */
export async function afterFrames(page: Page, count = 3): Promise<void> {
  await page.evaluate((n) => new Promise<void>((resolve) => {
    const next = (left: number) => (left === 0 ? resolve() : requestAnimationFrame(() => next(left - 1)));
    next(n);
  }), count);
}

/** Pushes log entries as main would (one `logs.batch`), then waits for them to be drawn. */
export async function pushEntries(page: Page, batch: LogEntry[]): Promise<void> {
  await page.evaluate((b) => window.__fake.push(b), batch);
  await afterFrames(page);
}

export async function calls(page: Page, channel: string): Promise<unknown[]> {
  return page.evaluate((c) => window.__fake.calls.filter((x) => x.channel === c).map((x) => x.request), channel);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync('test-results/screenshots', { recursive: true });
  await page.screenshot({ path: `test-results/screenshots/${name}.png` });
}


const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page as it is now and fails on any serious or critical violation,
 * naming the rule and the elements. The script is evaluated through DevTools, so the app's CSP
 * (no inline scripts) stays as it is for the app itself.
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[] }> } }).axe;
    const result = await axe.run(document);
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join(' | ')}`);
  });
  expect(violations, `axe-core in ${what}`).toEqual([]);
}

/** Whether the page itself scrolls (it must not: each pane scrolls on its own). */
export function pageOverflow(page: Page): Promise<{ x: number; y: number }> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    return { x: root.scrollWidth - root.clientWidth, y: root.scrollHeight - root.clientHeight };
  });
}

export type OpenOptions = Parameters<typeof openRenderer>[3];

/**
 * The browser lifecycle every renderer test file shares: one static server and one Chromium
 * per file, and no CSP violation, uncaught error or React warning in any test. Returns the
 * function that opens the renderer with the fake bridge.
 */
export function useRendererPage(): (options?: OpenOptions, over?: Parameters<typeof init>[0]) => Promise<Page> {
  let server: Awaited<ReturnType<typeof serveRenderer>>;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let problems: string[] = [];
  beforeAll(async () => {
    server = await serveRenderer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(() => {
    expect(problems).toEqual([]);
    problems = [];
  });
  return async (options = {}, over = {}) => {
    const opened = await openRenderer(browser.context, server.url, init(over), options);
    problems = opened.problems;
    return opened.page;
  };
}
