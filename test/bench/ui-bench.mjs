#!/usr/bin/env node
// UI benchmark: streams 100,000 synthetic request summaries at 1,000/s into the built
// inspector in Debian's Chromium (through the fake bridge's `logs.batch` pushes every 100 ms,
// a tenth of them first pending then updated), with the list following the tail, and reports
// the longest frame, long tasks and the JS heap. Targets: no frame over 50 ms, heap under 150 MB.
// Usage: npm run build && node test/bench/ui-bench.mjs [--total N] [--rate N]
import { parseArgs } from 'node:util';
import { launchChromium, openRenderer, serveRenderer } from './ui-page.mjs';

const { values } = parseArgs({
  options: {
    total: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
  },
});
const total = Number(values.total);
const rate = Number(values.rate);
const FRAME_TARGET_MS = 50;
const HEAP_TARGET_MB = 150;

const status = {
  listening: '/run/user/1000/docker-caching/docker.sock',
  upstream: { address: 'unix:///var/run/docker.sock', healthy: true, version: '20.10.24' },
  enabled: true, configPath: '/tmp/config.yaml',
  counters: { redirected: 0, fellBack: 0, blocked: 0, failed: 0, bytesFromMirrors: 0, fromCache: 0 },
  dockerContextActive: false,
};
const configState = {
  // As main sends it: parsed, so every section is there (the local cache off here).
  config: { version: 1, enabled: true, upstream: 'auto', notifications: true, rules: [], cache: { enabled: false, registries: {} } },
  revision: 1, path: '/tmp/config.yaml',
};

const server = await serveRenderer();
const browser = await launchChromium();
try {
  // logCap 0: the fake keeps no copy of the log, so the heap measured is the inspector's own.
  const { page, problems } = await openRenderer(browser.context, server.url, { status, config: configState, logCap: 0 });
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  const heapMb = async (collect) => {
    if (collect) await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    return usedSize / 1024 / 1024;
  };
  const heapBefore = await heapMb(true);

  // Frame and long-task recorders, then the stream, all inside the page.
  await page.evaluate(({ total, rate }) => {
    const stats = { frames: 0, maxFrame: 0, over50: 0, deltas: [], longTasks: 0, maxLongTask: 0, longFrames: [], done: false, pushed: 0 };
    window.__bench = stats;
    let last = performance.now();
    const frame = (now) => {
      const delta = now - last;
      last = now;
      stats.frames++;
      stats.deltas.push(delta);
      if (delta > stats.maxFrame) stats.maxFrame = delta;
      if (delta > 50) stats.over50++;
      if (!stats.done) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    new PerformanceObserver((list) => {
      for (const task of list.getEntries()) {
        stats.longTasks++;
        if (task.duration > stats.maxLongTask) stats.maxLongTask = task.duration;
      }
    }).observe({ type: 'longtask', buffered: false });
    // Long animation frames say what ran in a slow frame (script, forced layout, rendering).
    new PerformanceObserver((list) => {
      for (const f of list.getEntries()) {
        if (f.duration <= 50) continue;
        stats.longFrames.push({
          at: Math.round(f.startTime), ms: Math.round(f.duration),
          renderMs: Math.round(f.renderStart ? f.startTime + f.duration - f.renderStart : 0),
          scripts: f.scripts.map((x) => `${x.invoker} ${Math.round(x.duration)} ms (forced layout ${Math.round(x.forcedStyleAndLayoutDuration)} ms)`),
        });
      }
    }).observe({ type: 'long-animation-frame', buffered: false });

    const perBatch = Math.max(1, Math.round(rate / 10));
    const pending = [];
    let seq = 1;
    const start = Date.now();
    const timer = setInterval(() => {
      const now = Date.now();
      const entries = [];
      // Requests that were pending a second ago finish now: main sends their seq again.
      while (pending.length && pending[0].time <= now - 1000) entries.push({ ...pending.shift(), pending: false, status: 200 });
      for (let i = 0; i < perBatch && seq <= total; i++, seq++) {
        const entry = window.__fake.synthetic(seq, now);
        if (seq % 10 === 0) {
          const running = { ...entry, pending: true, status: null, durationMs: 0 };
          entries.push(running);
          pending.push(entry);
        } else {
          entries.push(entry);
        }
      }
      stats.pushed = seq - 1;
      window.__fake.push(entries);
      if (seq > total && pending.length === 0) {
        clearInterval(timer);
        stats.elapsedMs = Date.now() - start;
        setTimeout(() => { stats.done = true; }, 500);
      }
    }, 100);
  }, { total, rate });

  let heapPeak = 0;
  const started = Date.now();
  for (;;) {
    await new Promise((ok) => setTimeout(ok, 2000));
    heapPeak = Math.max(heapPeak, await heapMb(false));
    const progress = await page.evaluate(() => ({ done: window.__bench.done, pushed: window.__bench.pushed }));
    if (!values.json) process.stderr.write(`\r${progress.pushed.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} entries pushed, ${Math.round((Date.now() - started) / 1000)} s`);
    if (progress.done) break;
  }
  if (!values.json) process.stderr.write('\n');

  const stream = await page.evaluate(() => {
    const s = window.__bench;
    const sorted = s.deltas.slice().sort((a, b) => a - b);
    return {
      frames: s.frames, maxFrame: s.maxFrame, over50: s.over50, p99: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
      longTasks: s.longTasks, maxLongTask: s.maxLongTask, elapsedMs: s.elapsedMs,
      longFrames: s.longFrames.sort((a, b) => b.ms - a.ms).slice(0, 3),
      rowsInDom: document.querySelectorAll('[role="row"][data-seq]').length,
      statusLine: document.querySelector('.statusline')?.innerText.replace(/\s+/g, ' ') ?? '',
    };
  });
  const heapAfter = await heapMb(true);

  // Interactions at full size: a filter over 100,000 rows, and scrolling to the top.
  const interactions = await page.evaluate(async () => {
    const nextFrame = () => new Promise((ok) => requestAnimationFrame(() => ok(undefined)));
    const time = async (act, until) => {
      const t0 = performance.now();
      act();
      while (!until()) await nextFrame();
      return performance.now() - t0;
    };
    const rows = () => document.querySelectorAll('[role="row"][data-seq]').length;
    const pulls = document.querySelector('.chip-pulls');
    const pullsOnly = await time(() => pulls.click(), () => document.querySelector('.statusline')?.textContent?.includes(' of '));
    const allAgain = await time(() => pulls.click(), () => !document.querySelector('.statusline')?.textContent?.includes(' of '));
    const list = document.querySelector('.list');
    const toTop = await time(() => { list.scrollTop = 0; }, () => rows() > 0 && document.querySelector('[aria-rowindex="2"]') !== null);
    return { pullsOnlyMs: pullsOnly, allAgainMs: allAgain, scrollToTopMs: toTop };
  });

  const result = {
    entries: total, ratePerSecond: rate, streamSeconds: stream.elapsedMs / 1000,
    frames: stream.frames, longestFrameMs: round(stream.maxFrame), p99FrameMs: round(stream.p99), framesOver50Ms: stream.over50,
    longTasks: stream.longTasks, longestTaskMs: round(stream.maxLongTask),
    heapBeforeMb: round(heapBefore), heapPeakMb: round(Math.max(heapPeak, heapAfter)), heapAfterGcMb: round(heapAfter),
    rowsInDom: stream.rowsInDom, statusLine: stream.statusLine, worstFrames: stream.longFrames,
    filterPullsOnlyMs: round(interactions.pullsOnlyMs), filterClearMs: round(interactions.allAgainMs), scrollToTopMs: round(interactions.scrollToTopMs),
    pageProblems: problems,
  };
  const framesOk = result.longestFrameMs <= FRAME_TARGET_MS;
  const heapOk = result.heapPeakMb < HEAP_TARGET_MB;
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...result, framesOk, heapOk }) + '\n');
  } else {
    console.log(`streamed ${total.toLocaleString('en-US')} entries at ${rate}/s in ${result.streamSeconds.toFixed(1)} s (${result.statusLine.trim()})`);
    console.log(`frames: ${result.frames}, longest ${result.longestFrameMs} ms, p99 ${result.p99FrameMs} ms, ${result.framesOver50Ms} over 50 ms  [target: none over ${FRAME_TARGET_MS} ms: ${framesOk ? 'met' : 'MISSED'}]`);
    console.log(`long tasks (>50 ms): ${result.longTasks}, longest ${result.longestTaskMs} ms`);
    console.log(`JS heap: ${result.heapBeforeMb} MB at start, peak ${result.heapPeakMb} MB, ${result.heapAfterGcMb} MB after GC  [target: under ${HEAP_TARGET_MB} MB: ${heapOk ? 'met' : 'MISSED'}]`);
    console.log(`rows in the DOM: ${result.rowsInDom}; "pulls only" over the full log: ${result.filterPullsOnlyMs} ms, back to all: ${result.filterClearMs} ms; scroll to top: ${result.scrollToTopMs} ms`);
    for (const f of result.worstFrames) console.log(`  slow frame at ${f.at} ms: ${f.ms} ms, rendering ${f.renderMs} ms; ${f.scripts.join('; ') || 'no script'}`);
    if (problems.length) console.log(`page problems:\n  ${problems.join('\n  ')}`);
  }
  process.exitCode = framesOk && heapOk && problems.length === 0 ? 0 : 1;
} finally {
  await browser.close();
  await server.close();
}

function round(n) {
  return Math.round(n * 10) / 10;
}
