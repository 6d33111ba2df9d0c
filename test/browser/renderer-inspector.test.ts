// The live request inspector, built, in Debian's Chromium under the app's CSP, with a fake
// bridge: the virtualised list (tail-follow, pause, clear), filters, the detail pane, export,
// the header strip; screenshots in light and dark.
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '#shared/log';
import { SOCKET, afterFrames, calls, entries, pushEntries, screenshot, status, useRendererPage } from './renderer-fixture';

const open = useRendererPage();

const shownSeqs = (page: Page): Promise<number[]> =>
  page.$$eval('.list [role="row"][data-seq]', (rows) =>
    rows.map((r) => ({ seq: Number((r as HTMLElement).dataset.seq), top: r.getBoundingClientRect().top }))
      .sort((a, b) => a.top - b.top).map((r) => r.seq));

/** Rows whose box is inside the list's visible area. */
const visibleSeqs = (page: Page): Promise<number[]> =>
  page.$eval('.list', (list) => {
    const box = list.getBoundingClientRect();
    return [...list.querySelectorAll<HTMLElement>('[role="row"][data-seq]')]
      .filter((r) => {
        const b = r.getBoundingClientRect();
        return b.bottom > box.top + 26 && b.top < box.bottom;
      })
      .map((r) => ({ seq: Number(r.dataset.seq), top: r.getBoundingClientRect().top }))
      .sort((a, b) => a.top - b.top).map((r) => r.seq);
  });

const statusLine = (page: Page): Promise<string> => page.locator('.statusline').innerText();

describe('request list', () => {
  it('shows the requests main pushes, oldest first, with route, image, action, status, duration and size', async () => {
    const page = await open();
    await page.getByText('No requests yet').waitFor();
    expect(await page.locator('.command-text').first().innerText()).toBe(`export DOCKER_HOST=unix://${SOCKET}`);
    await pushEntries(page, entries);
    await page.locator('[data-seq="12"]').waitFor();
    expect(await shownSeqs(page)).toEqual(entries.map((e) => e.seq));
    const pull = page.locator('[data-seq="4"]');
    expect(await pull.locator('[role="gridcell"]').allInnerTexts()).toEqual(
      [expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{3}$/), 'POST', 'pull', 'ubuntu:18.04', 'redirected', 'mirror.internal:5000 (mirror)', '200', '2.43 s', '27 MB'],
    );
    expect(await page.locator('[role="columnheader"]').allInnerTexts()).toEqual(
      ['Time', 'Method', 'Endpoint', 'Image', 'Action', 'Came from / reason', 'Status', 'Duration', 'Size'],
    );
    expect(await statusLine(page)).toContain('12 requests');
    await page.close();
  });

  it('updates an entry in place when main sends its seq again', async () => {
    const page = await open();
    const running: LogEntry = { ...entries[3]!, seq: 1, status: null, pending: true, durationMs: 0 };
    await pushEntries(page, [running]);
    const row = page.locator('[data-seq="1"]');
    await row.waitFor();
    expect(await row.locator('.status').innerText()).toBe('…');
    await pushEntries(page, [{ ...running, status: 200, pending: false, durationMs: 1_200 }]);
    await page.waitForFunction(() => document.querySelector('[data-seq="1"] .status')?.textContent === '200');
    expect(await page.locator('[role="row"][data-seq]').count()).toBe(1);
    expect(await row.locator('[role="gridcell"]').nth(7).innerText()).toBe('1.20 s');
    await page.close();
  });

  it('keeps the DOM small with 10,000 entries and follows the newest', async () => {
    const page = await open();
    await page.evaluate(() => window.__fake.pushSynthetic(1, 10_000));
    await page.waitForFunction(() => document.querySelector('.statusline')?.textContent?.includes('10,000 requests'));
    await page.locator('[data-seq="10000"]').waitFor();
    const rendered = await page.locator('[role="row"][data-seq]').count();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(80);
    expect((await visibleSeqs(page)).at(-1)).toBe(10_000);
    expect(await statusLine(page)).toContain('Following new requests');
    await page.close();
  });

  it('stops following when scrolled up, keeps the rows in view, and jumps back to the latest', async () => {
    const page = await open();
    await page.evaluate(() => window.__fake.pushSynthetic(1, 2_000));
    await page.locator('[data-seq="2000"]').waitFor();
    await page.locator('.list').hover();
    await page.mouse.wheel(0, -3_000);
    await page.waitForFunction(() => document.querySelector('.statusline')?.textContent?.includes('Jump to latest'));
    const before = await visibleSeqs(page);
    expect(before.at(-1)).toBeLessThan(2_000);

    await page.evaluate(() => window.__fake.pushSynthetic(2_001, 500));
    await page.waitForFunction(() => document.querySelector('.statusline')?.textContent?.includes('2,500 requests'));
    await afterFrames(page);
    expect(await visibleSeqs(page)).toEqual(before);

    await page.getByRole('button', { name: 'Jump to latest' }).click();
    await page.waitForFunction(() => document.querySelector('.statusline')?.textContent?.includes('Following new requests'));
    expect((await visibleSeqs(page)).at(-1)).toBe(2_500);
    await page.evaluate(() => window.__fake.pushSynthetic(2_501, 100));
    await page.locator('[data-seq="2600"]').waitFor();
    await afterFrames(page);
    expect((await visibleSeqs(page)).at(-1)).toBe(2_600);
    await page.close();
  });

  it('comes back to the same place after a visit to the rules', async () => {
    const page = await open();
    await page.evaluate(() => window.__fake.pushSynthetic(1, 3_000));
    await page.locator('[data-seq="3000"]').waitFor();
    await page.locator('.list').evaluate((list) => { list.scrollTop = 20_000; });
    await page.waitForFunction(() => document.querySelector('.statusline')?.textContent?.includes('Jump to latest'));
    await afterFrames(page);
    const before = await visibleSeqs(page);
    await page.getByRole('tab', { name: 'Rules' }).click();
    await page.getByRole('tab', { name: 'Inspector' }).click();
    await page.locator('.list').waitFor();
    await afterFrames(page);
    expect(await visibleSeqs(page)).toEqual(before);
    await page.close();
  });

  it('drops the oldest requests beyond 100,000, counts them, and keeps a scrolled-up view on the same rows', async () => {
    const page = await open({}, { logCap: 0 });
    await page.evaluate(() => window.__fake.pushSynthetic(1, 100_000, 5_000));
    await page.waitForFunction(() => document.querySelector('.statusline')?.textContent?.includes('100,000 requests'), undefined, { timeout: 20_000 });
    await page.locator('.list').evaluate((list) => { list.scrollTop = list.scrollHeight / 2; });
    await page.waitForFunction(() => document.querySelector('.statusline')?.textContent?.includes('Jump to latest'));
    await afterFrames(page);
    const before = await visibleSeqs(page);
    expect(before[0]).toBeGreaterThan(40_000);

    await page.evaluate(() => window.__fake.pushSynthetic(100_001, 2_000));
    await page.waitForFunction(() => document.querySelector('.statusline')?.textContent?.includes('2,000 dropped'));
    await afterFrames(page);
    expect(await statusLine(page)).toContain('100,000 requests');
    expect(await visibleSeqs(page)).toEqual(before);
    expect(await page.locator('[role="row"][data-seq]').count()).toBeLessThan(80);
    await page.close();
  });

  it('pauses without losing requests, catches up on resume, and clears', async () => {
    const page = await open();
    await pushEntries(page, entries.slice(0, 6));
    await page.locator('[data-seq="6"]').waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await pushEntries(page, entries.slice(6));
    await page.waitForFunction(() => document.querySelector('.statusline')?.textContent?.includes('Paused · 6 new'));
    expect(await page.locator('[role="row"][data-seq]').count()).toBe(6);

    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('[data-seq="12"]').waitFor();
    expect(await shownSeqs(page)).toEqual(entries.map((e) => e.seq));
    expect(await calls(page, 'logs.snapshot')).toHaveLength(2);

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByText('No requests yet').waitFor();
    expect(await page.locator('[role="row"][data-seq]').count()).toBe(0);
    expect(await calls(page, 'logs.clear')).toHaveLength(1);
    await pushEntries(page, [{ ...entries[0]!, seq: 13 }]);
    await page.locator('[data-seq="13"]').waitFor();
    await page.close();
  });

  it('loads what main already holds when the window opens, and counts what main dropped', async () => {
    const page = await open({}, { history: entries, historyDropped: 40 });
    await page.locator('[data-seq="12"]').waitFor();
    expect(await shownSeqs(page)).toEqual(entries.map((e) => e.seq));
    expect(await statusLine(page)).toContain('40 dropped');
    await page.close();
  });
});

describe('filters', () => {
  it('narrows the list by pulls only, action, and the filter box\'s method:, status:, endpoint:, image: and free words', async () => {
    const page = await open();
    await pushEntries(page, entries);
    await page.locator('[data-seq="12"]').waitFor();
    const expectSeqs = async (seqs: number[]): Promise<void> => {
      await page.waitForFunction((want) => {
        const seqs = [...document.querySelectorAll<HTMLElement>('[role="row"][data-seq]')].map((r) => Number(r.dataset.seq)).sort((a, b) => a - b);
        return JSON.stringify(seqs) === want;
      }, JSON.stringify(seqs)).catch(() => undefined);
      expect(await shownSeqs(page)).toEqual(seqs);
    };

    await page.getByRole('button', { name: 'Pulls only' }).click();
    await expectSeqs([4, 5, 7, 8]);
    expect(await statusLine(page)).toContain('4 of 12 requests');
    await page.getByRole('group', { name: 'Filter by action' }).getByRole('button', { name: 'redirected' }).click();
    await expectSeqs([4]);
    await page.getByRole('group', { name: 'Filter by action' }).getByRole('button', { name: 'fell back' }).click();
    await expectSeqs([4, 7]);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expectSeqs(entries.map((e) => e.seq));

    const box = page.getByLabel('Filter requests');
    await box.fill('method:delete');
    await expectSeqs([11]);
    await box.fill('status:4xx');
    await expectSeqs([8, 11]);
    await box.fill('endpoint:create');
    await expectSeqs([6]);

    await box.fill('image:ubuntu');
    await expectSeqs([4, 6]);
    await box.fill('connection refused');
    await expectSeqs([5, 7]);
    await box.fill('hub official');
    await expectSeqs([4, 7]);
    await box.fill('nothing-like-this');
    await page.getByText('No requests match these filters').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
    await expectSeqs(entries.map((e) => e.seq));

    // An entry that changes when it finishes joins or leaves the filtered view.
    await box.fill('status:pending');
    await page.getByText('No requests match these filters').waitFor();
    await pushEntries(page, [{ ...entries[2]!, seq: 13, status: null, pending: true }]);
    await expectSeqs([13]);
    await box.fill('status:5xx');
    await expectSeqs([5]);
    await pushEntries(page, [{ ...entries[2]!, seq: 13, status: 502, pending: false, action: 'failed', error: 'upstream closed the connection' }]);
    await expectSeqs([5, 13]);
    await pushEntries(page, [{ ...entries[1]!, seq: 2, status: 503, action: 'failed' }]);
    await expectSeqs([2, 5, 13]);
    await box.fill('');
    await page.getByRole('group', { name: 'Filter by action' }).getByRole('button', { name: 'passed' }).click();
    await pushEntries(page, [{ ...entries[0]!, seq: 1, status: 500, action: 'failed' }]);
    await expectSeqs([3, 6, 9, 10, 11, 12]);
    await page.getByRole('group', { name: 'Filter by action' }).getByRole('button', { name: 'passed' }).click();
    await expectSeqs([...entries.map((e) => e.seq), 13]);

    // New entries are filtered as they arrive.
    await page.getByRole('button', { name: 'Pulls only' }).click();
    await pushEntries(page, [{ ...entries[0]!, seq: 14 }, { ...entries[6]!, seq: 15 }]);
    await expectSeqs([4, 5, 7, 8, 15]);
    await page.close();
  });
});

describe('detail pane', () => {
  it('shows the request line before and after the rewrite, the trace, progress and redacted headers', async () => {
    const page = await open();
    await pushEntries(page, entries);
    await page.locator('[data-seq="4"]').click();
    const detail = page.getByRole('complementary', { name: 'Request detail' });
    await detail.getByRole('region', { name: 'Request headers' }).waitFor();
    expect(await calls(page, 'logs.detail')).toContain(4);
    expect(await page.locator('[data-seq="4"]').getAttribute('aria-selected')).toBe('true');

    const line = detail.getByRole('region', { name: 'Request line' });
    expect(await line.locator('.diff-before').innerText()).toContain('POST /v1.41/images/create?fromImage=ubuntu&tag=18.04');
    expect(await line.locator('.diff-after').innerText()).toContain('fromImage=mirror.internal:5000/hub/ubuntu&tag=18.04');
    expect(await line.locator('ins').allInnerTexts()).toEqual(['mirror.internal:5000/hub/']);

    const trace = detail.getByRole('region', { name: 'Rewrite trace' });
    expect(await trace.locator('.kv').innerText()).toMatch(/Rule\s+#1 docker\.io\/library · Hub official images/);
    const candidates = trace.getByRole('list', { name: 'Candidates tried' }).locator('li');
    expect(await candidates.count()).toBe(2);
    expect(await candidates.nth(0).innerText()).toMatch(/localhost:5000\/ubuntu:18\.04[\s\S]*failed[\s\S]*41 ms[\s\S]*manifest unknown/);
    expect(await candidates.nth(1).innerText()).toMatch(/mirror\.internal:5000\/hub\/ubuntu:18\.04[\s\S]*pulled[\s\S]*2\.35 s/);
    expect(await trace.innerText()).toMatch(/Came from\s+mirror\.internal:5000\/hub\/ubuntu:18\.04/);
    expect(await trace.innerText()).toMatch(/Tagged\s+done docker\.io\/library\/ubuntu:18\.04/);
    expect(await trace.innerText()).toMatch(/Untagged\s+done mirror\.internal:5000\/hub\/ubuntu:18\.04/);

    const progress = detail.getByRole('region', { name: 'Pull progress' });
    expect(await progress.innerText()).toMatch(/Layers\s+3 of 3/);
    expect(await progress.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');

    const headers = detail.getByRole('region', { name: 'Request headers' });
    expect(await headers.locator('tr', { hasText: 'X-Registry-Auth' }).locator('td').innerText()).toBe('<redacted>');
    await page.close();
  });

  it('says in plain words why a pull failed, and that a block came from a rule', async () => {
    const page = await open();
    await pushEntries(page, entries);
    await page.locator('[data-seq="5"]').click();
    const detail = page.getByRole('complementary', { name: 'Request detail' });
    expect(await detail.getByRole('region', { name: 'Error' }).innerText()).toContain('connection refused');
    await page.locator('[data-seq="8"]').click();
    await page.waitForFunction(() => document.querySelector('.detail')?.textContent?.includes('badcorp'));
    expect(await detail.getByRole('region', { name: 'Error' }).innerText()).toContain('blocks docker.io/badcorp/miner:latest');
    expect(await detail.getByRole('region', { name: 'Rewrite trace' }).innerText()).toContain('block the pull');
    await page.close();
  });

  it('moves the selection with the arrow keys, opens the detail with Enter and closes it with Escape', async () => {
    const page = await open();
    await pushEntries(page, entries);
    await page.locator('[data-seq="12"]').waitFor();
    await page.locator('.list').focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('.list [aria-selected="true"]').getAttribute('data-seq')).toBe('1');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await page.locator('.list [aria-selected="true"]').getAttribute('data-seq')).toBe('4');
    expect(await page.locator('.list').getAttribute('aria-activedescendant')).toBe('request-4');
    expect(await page.locator('.detail').count()).toBe(0);
    await page.keyboard.press('Enter');
    await page.getByRole('complementary', { name: 'Request detail' }).waitFor();
    await page.keyboard.press('ArrowUp');
    expect(await page.locator('.list [aria-selected="true"]').getAttribute('data-seq')).toBe('3');
    await page.waitForFunction(() => document.querySelector('.detail-route')?.textContent === 'list containers');
    await page.keyboard.press('End');
    expect(await page.locator('.list [aria-selected="true"]').getAttribute('data-seq')).toBe('12');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('.detail'));
    await page.close();
  });
});

describe('export', () => {
  it('saves the requests shown as NDJSON and as HAR, with redacted headers and no bodies', async () => {
    const page = await open();
    await pushEntries(page, entries);
    await page.getByRole('button', { name: 'Pulls only' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[role="row"][data-seq]').length === 4);

    const [ndjson] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'NDJSON' }).click()]);
    expect(ndjson.suggestedFilename()).toMatch(/^docker-caching-.*\.ndjson$/);
    const lines = readFileSync((await ndjson.path())!, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.seq)).toEqual([4, 5, 7, 8]);
    expect(lines[0]).toMatchObject({ route: 'pull', action: 'redirected', image: 'ubuntu:18.04', status: 200 });

    const [har] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'HAR' }).click()]);
    expect(har.suggestedFilename()).toMatch(/\.har$/);
    const text = readFileSync((await har.path())!, 'utf8');
    const parsed = JSON.parse(text);
    expect(parsed.log.version).toBe('1.2');
    expect(parsed.log.entries).toHaveLength(4);
    const first = parsed.log.entries[0];
    expect(first.request.method).toBe('POST');
    expect(first.request.url).toBe('http://api.moby.localhost/v1.41/images/create?fromImage=ubuntu&tag=18.04');
    expect(first.request.headers).toContainEqual({ name: 'X-Registry-Auth', value: '<redacted>' });
    expect(first.response.status).toBe(200);
    expect(first._dockerCaching.rewrite.source).toBe('mirror.internal:5000/hub/ubuntu:18.04');
    expect(first.request).not.toHaveProperty('postData');
    await page.close();
  });
});

describe('header strip', () => {
  it('shows the socket (with copy), the upstream and its health, the counters, and flips redirection', async () => {
    const page = await open();
    const strip = page.getByLabel('Proxy status');
    expect(await strip.innerText()).toContain(SOCKET);
    expect(await strip.innerText()).toMatch(/unix:\/\/\/var\/run\/docker\.sock\s+Engine 20\.10\.24/);
    expect(await page.getByRole('group', { name: 'Pull counters: show these pulls' }).innerText()).toMatch(/redirected\s+42[\s\S]*fell back\s+3[\s\S]*blocked\s+1[\s\S]*failed\s+1[\s\S]*from mirrors\s+1\.9 GB/);

    await page.getByRole('button', { name: 'Copy socket path' }).click();
    await page.getByText('Copied').waitFor({ state: 'attached' });
    expect(await calls(page, 'app.copyText')).toEqual([SOCKET]);

    const master = page.getByRole('switch', { name: 'Redirect pulls through mirrors' });
    expect(await master.getAttribute('aria-checked')).toBe('true');
    await master.click();
    await page.waitForFunction(() => document.querySelector('#master-switch')?.getAttribute('aria-checked') === 'false');
    expect(await calls(page, 'config.setEnabled')).toEqual([false]);

    await page.evaluate((s) => window.__fake.emit('status.changed', { ...s, enabled: true, upstream: { address: s.upstream.address, healthy: false, error: 'connection refused' } }), status);
    await page.waitForFunction(() => document.querySelector('#master-switch')?.getAttribute('aria-checked') === 'true');
    expect(await strip.innerText()).toContain('not answering');
    await page.close();
  });

  it('puts the switch back and says why when main refuses', async () => {
    const page = await open({}, { failures: { 'config.setEnabled': 'the config file is read-only' } });
    const master = page.getByRole('switch', { name: 'Redirect pulls through mirrors' });
    await master.click();
    await page.getByRole('alert').filter({ hasText: 'could not turn redirection off: the config file is read-only' }).waitFor();
    expect(await master.getAttribute('aria-checked')).toBe('true');
    await page.close();
  });

  it('switches view when main asks (tray "Edit Rules…")', async () => {
    const page = await open();
    await page.evaluate(() => window.__fake.emit('view.show', 'rules'));
    await page.getByRole('tab', { name: 'Rules', selected: true }).waitFor();
    await page.getByRole('tab', { name: 'Inspector' }).click();
    await page.getByRole('grid', { name: 'Requests' }).waitFor();
    await page.close();
  });
});

describe('screenshots', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`inspector with a selected redirected pull (${scheme})`, async () => {
      const page = await open({ colorScheme: scheme });
      await pushEntries(page, entries);
      await page.locator('[data-seq="4"]').click();
      await page.getByRole('region', { name: 'Request headers' }).waitFor();
      await page.locator('.list').focus();
      await screenshot(page, `inspector-${scheme}`);
      await page.close();
    });
  }
});
