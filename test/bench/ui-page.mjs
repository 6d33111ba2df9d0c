// The built renderer in a real browser, without Electron: a static server for dist/renderer
// that sends the app's CSP, Debian's Chromium through playwright-core, and a fake
// `window.dockerCaching` (canned invoke answers, events pushed on demand). Shared by the
// browser tests (test/browser/renderer-*.test.ts) and the UI benchmark (ui-bench.mjs).
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { chromium } from 'playwright-core';

export const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Serves a folder on 127.0.0.1 at a random port; every answer carries the CSP. */
export async function serveRenderer(root = 'dist/renderer') {
  const base = resolve(root);
  statSync(join(base, 'index.html')); // fail early when the renderer was not built
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = normalize(join(base, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)));
    let body;
    try {
      if (!path.startsWith(base + sep)) throw new Error('outside');
      body = readFileSync(path);
    } catch {
      res.writeHead(404, { 'content-security-policy': CSP }).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': types[extname(path)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'cache-control': 'no-store',
    });
    res.end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((ok) => server.close(ok)) };
}

/** Debian's Chromium with a fresh profile; `close` removes the profile. */
export async function launchChromium(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'dc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ...(options.args ?? []),
    ],
    viewport: options.viewport ?? { width: 1360, height: 820 },
    acceptDownloads: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Runs in the page before any script (page.addInitScript): defines `window.dockerCaching`
 * answering from `init` and keeps a small log like main's, and `window.__fake` for tests to
 * push events, change answers and read the calls made. Must stay self-contained: Playwright
 * sends its source text to the page.
 */
export function installFakeApi(init) {
  const listeners = new Map();
  const calls = [];
  const state = {
    status: init.status,
    config: init.config,
    details: init.details ?? {},
    mirrorChecks: init.mirrorChecks ?? {},
    failures: init.failures ?? {},
    logCap: init.logCap ?? 10000,
  };
  const history = init.history ?? [];
  const log = { entries: history.slice(), dropped: init.historyDropped ?? 0, lastSeq: history.at(-1)?.seq ?? 0 };
  const ok = (value) => ({ ok: true, value });

  function record(entries) {
    if (state.logCap === 0) return;
    for (const entry of entries) {
      if (entry.seq > log.lastSeq) {
        log.entries.push(entry);
        log.lastSeq = entry.seq;
        if (log.entries.length > state.logCap) {
          log.entries.shift();
          log.dropped++;
        }
      } else {
        const i = log.entries.findIndex((e) => e.seq === entry.seq);
        if (i >= 0) log.entries[i] = entry;
      }
    }
  }

  const handlers = {
    'status.get': () => ok(state.status),
    'config.get': () => ok(state.config),
    'config.save': ({ config, baseRevision }) => {
      if (baseRevision !== state.config.revision) {
        return { ok: false, error: `the config changed since you loaded it (revision ${state.config.revision}, not ${baseRevision})` };
      }
      state.config = { ...state.config, config, revision: state.config.revision + 1 };
      return ok(state.config);
    },
    'config.setEnabled': (enabled) => {
      state.config = { ...state.config, config: { ...state.config.config, enabled }, revision: state.config.revision + 1 };
      state.status = { ...state.status, enabled };
      return ok(state.config);
    },
    'config.setRuleEnabled': ({ index, enabled }) => {
      const rules = state.config.config.rules.map((r, i) => (i === index ? { ...r, enabled } : r));
      state.config = { ...state.config, config: { ...state.config.config, rules }, revision: state.config.revision + 1 };
      return ok(state.config);
    },
    'logs.snapshot': (request) => {
      const limit = request?.limit ?? log.entries.length;
      return ok({ entries: log.entries.slice(Math.max(0, log.entries.length - limit)), dropped: log.dropped, lastSeq: log.lastSeq });
    },
    'logs.detail': (seq) => ok(state.details[seq] ?? null),
    'logs.clear': () => {
      log.entries = [];
      return ok(undefined);
    },
    'rules.draft': () => ok(undefined),
    'mirror.check': ({ location }) => ok(state.mirrorChecks[location]
      ?? { location, state: 'reachable', reason: `HTTP 200 from http://${location}/v2/`, status: 200 }),
    'app.copyText': () => ok(undefined),
    'app.openExternal': () => ok(undefined),
    'engine.retry': () => ok(state.status),
    'config.openFile': () => ok(undefined),
    'config.showInFolder': () => ok(undefined),
    'config.replaceInvalidFile': ({ rules }) => {
      if (!state.config.error) return { ok: false, error: 'the config file is valid now, so it was not replaced: save your rules instead' };
      const { error: _fixed, ...rest } = state.config;
      state.config = { ...rest, config: { ...rest.config, rules }, revision: rest.revision + 1 };
      const { configError: _gone, ...status } = state.status;
      state.status = status;
      // Main's engine announces its new status after a config change.
      queueMicrotask(() => emit('status.changed', state.status));
      return ok(state.config);
    },
    'dockerContext.set': (on) => {
      state.status = { ...state.status, dockerContextActive: on };
      return ok(state.status);
    },
  };

  const emit = (event, payload) => {
    for (const listener of listeners.get(event) ?? []) listener(payload);
  };

  window.dockerCaching = {
    invoke(channel, request) {
      calls.push({ channel, request: request === undefined ? null : JSON.parse(JSON.stringify(request)) });
      if (state.failures[channel]) return Promise.resolve({ ok: false, error: state.failures[channel] });
      const handler = handlers[channel];
      return Promise.resolve(handler ? handler(request) : { ok: false, error: `no fake for ${channel}` });
    },
    on(event, listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(listener);
      return () => listeners.get(event).delete(listener);
    },
  };

  // A rate limit, a dead mirror and a missing image must not look alike in the list.
  const failureReasons = [
    'toomanyrequests: You have reached your pull rate limit', 'dial tcp 127.0.0.1:5000: connect: connection refused', 'manifest unknown',
  ];

  /** A plausible summary for the benchmark and the big-list tests: mostly routine calls, some pulls. */
  function synthetic(seq, time) {
    const r = (seq * 2654435761) % 1000;
    const base = { seq, time, apiVersion: '1.41', pending: false, bytesIn: 0, upgraded: false };
    if (r < 120) {
      const image = `registry-${r % 7}/team/app-${seq % 97}:v${seq % 13}`;
      const action = r < 90 ? 'redirected' : r < 105 ? 'fell back' : r < 113 ? 'failed' : 'blocked';
      return {
        ...base, method: 'POST', path: `/v1.41/images/create?fromImage=${encodeURIComponent(image)}`, route: 'pull', image,
        status: action === 'blocked' ? 403 : action === 'failed' ? 502 : 200, durationMs: 200 + (r % 900), bytesOut: 4096 + r * 311, action,
        ...(action === 'redirected' ? { imageBytes: 3_000_000 + r * 97_331 } : {}),
        ...(action === 'failed' ? { error: `docker-caching could not pull ${image}: localhost:5000/${image}: ${failureReasons[seq % 3]}; fallback to the original registry is off for this rule` } : {}),
        rewrite: {
          original: `docker.io/${image}`, rule: { index: 0, from: 'docker.io' }, action: action === 'blocked' ? 'block' : 'mirror',
          candidates: action === 'blocked' ? [] : [{
            ref: `localhost:5000/${image}`, kind: 'mirror', outcome: action === 'redirected' ? 'ok' : 'failed', startedMs: 1, durationMs: 150,
            ...(action === 'redirected' ? {} : { reason: failureReasons[seq % 3] }),
          }],
          ...(action === 'redirected' ? { source: `localhost:5000/${image}` } : {}), retag: [], untag: [],
        },
      };
    }
    const routine = [
      ['GET', '/v1.41/containers/json', 'list containers'], ['GET', '/_ping', 'ping'], ['GET', '/v1.41/version', 'version'],
      ['GET', `/v1.41/containers/c${seq % 50}/json`, 'inspect container'], ['POST', `/v1.41/containers/c${seq % 50}/start`, 'start'],
      ['GET', '/v1.41/images/json', 'list images'], ['DELETE', `/v1.41/containers/c${seq % 50}`, 'remove container'],
    ][r % 7];
    return {
      ...base, method: routine[0], path: routine[1], route: routine[2], status: r % 37 === 0 ? 404 : 200,
      durationMs: 1 + (r % 40), bytesOut: 200 + (r % 4000), action: 'passed',
    };
  }

  window.__fake = {
    calls,
    state,
    log,
    emit,
    /** Records entries like main's log would, then pushes them as one `logs.batch`. */
    push(entries) {
      record(entries);
      emit('logs.batch', { entries, dropped: log.dropped, lastSeq: log.lastSeq });
    },
    synthetic,
    /** Pushes `count` synthetic entries starting at `fromSeq`, in batches of `batch`. */
    pushSynthetic(fromSeq, count, batch = 500) {
      const now = Date.now();
      for (let i = 0; i < count; i += batch) {
        const entries = [];
        for (let seq = fromSeq + i; seq < fromSeq + Math.min(count, i + batch); seq++) entries.push(synthetic(seq, now - (count - seq) * 10));
        window.__fake.push(entries);
      }
    },
  };
}

/** A page with the fake API installed, showing the built renderer. */
export async function openRenderer(context, url, init, options = {}) {
  const page = await context.newPage();
  if (options.colorScheme) await page.emulateMedia({ colorScheme: options.colorScheme });
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  await page.addInitScript(installFakeApi, init);
  await page.goto(url);
  await page.waitForSelector('.app');
  return { page, problems };
}
