// What a newcomer meets, in the built renderer in Debian's Chromium under the app's CSP, with
// the fake bridge: the first-run checklist ticking from real state, the alert area on both
// views (invalid config, engine down, socket held), failures at scale, the detail pane's
// actions, keyboard use, axe-core in every view and theme, 800 px and 150% zoom. Screenshots
// go to test-results/screenshots/.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '#shared/log';
import {
  SOCKET, calls, configState, engineDown, entries, expectAccessible, fileProblem, firstRun, invalidAtStart, pageOverflow,
  pushEntries, screenshot, status, useRendererPage,
} from './renderer-fixture';

const open = useRendererPage();

const alert = (page: Page, name: string) => page.getByRole('alert').filter({ has: page.getByText(name, { exact: true }) });

describe('first run', () => {
  it('shows a checklist that ticks itself from the docker context, the saved rules and a pull seen', async () => {
    const page = await open({}, firstRun);
    const steps = page.getByRole('region', { name: 'Get started' }).getByRole('listitem');
    await steps.first().waitFor();
    expect(await steps.locator('.step-title').allTextContents()).toEqual([
      'Use docker-caching for docker commands (to do)', 'Add a rule (to do)', 'Pull an image to see it work (to do)',
    ]);
    // The commands are whole and copyable.
    expect(await page.getByLabel('Proxy status').innerText()).toContain('none: every pull passes unchanged');
    expect(await page.getByRole('region', { name: 'Get started' }).innerText()).toContain('No rules yet, so every pull goes to its own registry unchanged.');
    expect(await page.locator('.command-text').allInnerTexts()).toEqual([
      `export DOCKER_HOST=unix://${SOCKET}`,
      `docker context create docker-caching --docker host=unix://${SOCKET}`,
      'docker context use docker-caching',
      'docker pull alpine',
    ]);
    await page.getByRole('button', { name: `Copy: export DOCKER_HOST=unix://${SOCKET}` }).click();
    expect(await calls(page, 'app.copyText')).toEqual([`export DOCKER_HOST=unix://${SOCKET}`]);
    await expectAccessible(page, 'the first run');
    await screenshot(page, 'first-run');

    // 1: the switch in the window asks main, and the step ticks from the status main returns.
    await page.getByRole('switch', { name: 'Use docker-caching for docker commands' }).click();
    await page.getByText('Use docker-caching for docker commands (done)').waitFor();
    expect(await calls(page, 'dockerContext.set')).toEqual([true]);

    // 2: a preset opens the rule in the editor; the step ticks once it is saved.
    await page.getByRole('button', { name: 'Docker Hub → a local registry:2 at localhost:5000' }).click();
    await page.getByRole('tab', { name: 'Rules', selected: true }).waitFor();
    expect(await page.locator('[data-from-input]').inputValue()).toBe('docker.io');
    await page.keyboard.press('Control+s');
    await page.getByText('Saved', { exact: true }).waitFor();
    expect(await calls(page, 'config.save')).toMatchObject([{ config: { rules: [{ from: 'docker.io', to: ['localhost:5000'] }] } }]);
    await page.getByRole('tab', { name: 'Inspector' }).click();
    await page.getByText('Add a rule (done)').waitFor();

    // The local cache counts too: switched on from the checklist, saved, the step says what it does.
    await page.getByRole('button', { name: 'Docker Hub and other registries → the local cache' }).click();
    await page.getByRole('tab', { name: 'Rules', selected: true }).waitFor();
    expect(await page.getByRole('switch', { name: 'Cache pulls locally' }).getAttribute('aria-checked')).toBe('true');
    await page.keyboard.press('Control+s');
    await page.getByText('Saved', { exact: true }).waitFor();
    expect((await calls(page, 'config.save')).at(-1)).toMatchObject({ config: { cache: { enabled: true } } });
    await page.getByRole('tab', { name: 'Inspector' }).click();
    expect(await page.getByLabel('Proxy status').innerText()).toContain('1 in force + local cache');

    // 3: a pull through the proxy.
    await pushEntries(page, [{ ...entries[3]!, seq: 1 }]);
    await page.locator('[data-seq="1"]').waitFor();
    await pushEntries(page, []);
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await page.getByText('Pull an image to see it work (to do)').waitFor();
    await page.close();
  });

  it('says why the context could not be switched', async () => {
    const page = await open({}, { ...firstRun, failures: { 'dockerContext.set': 'cannot point docker commands at docker-caching: the proxy is not listening' } });
    await page.getByRole('switch', { name: 'Use docker-caching for docker commands' }).click();
    await page.getByText('cannot point docker commands at docker-caching: the proxy is not listening').waitFor();
    expect(await page.getByRole('switch', { name: 'Use docker-caching for docker commands' }).getAttribute('aria-checked')).toBe('false');
    await page.close();
  });
});

describe('alert area', () => {
  it('shows an invalid config at start on both views, with file, line, what it means and the way out', async () => {
    const page = await open({}, invalidAtStart);
    const problem = alert(page, 'The config file has a problem');
    await problem.waitFor();
    const text = await problem.innerText();
    expect(text).toContain(`${fileProblem.file}:4: rules.0.to: must not start with https://`);
    expect(text).toContain("None of the file's rules apply until this is fixed: pulls from docker.io, ghcr.io and 5 more go to the local cache, the rest to their own registry.");
    expect(text).not.toContain('last good rules');
    await expectAccessible(page, 'the inspector with an invalid config');
    await screenshot(page, 'invalid-config-inspector');

    await problem.getByRole('button', { name: 'Open file' }).click();
    await problem.getByRole('button', { name: 'Show in folder' }).click();
    expect((await page.evaluate(() => window.__fake.calls.map((c) => c.channel))).filter((c) => c.startsWith('config.'))).toEqual(
      expect.arrayContaining(['config.openFile', 'config.showInFolder']),
    );

    await page.getByRole('tab', { name: 'Rules' }).click();
    await page.getByText('No rules in force').waitFor();
    expect(await page.getByText('No rules yet').count()).toBe(0);
    expect(await alert(page, 'The config file has a problem').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await expectAccessible(page, 'the rules with an invalid config');
    await screenshot(page, 'invalid-config-rules');

    // Write a rule here, then replace the file with it, after a confirmation.
    await page.getByRole('button', { name: 'Docker Hub → a mirror you name' }).click();
    const mirror = page.getByRole('textbox', { name: 'Mirror 1 location' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Mirror 1 location');
    await mirror.fill('mirror.gcr.io');
    await problem.getByRole('button', { name: 'Replace the file with these rules…' }).click();
    expect(await calls(page, 'config.replaceInvalidFile')).toEqual([]);
    expect(await problem.innerText()).toContain(`Replace ${fileProblem.file} with the 1 rule in the editor?`);
    await problem.getByRole('button', { name: 'Replace the file' }).click();
    await page.waitForFunction(() => !document.querySelector('[data-alert="config-file"]'));
    expect(await calls(page, 'config.replaceInvalidFile')).toMatchObject([{ rules: [{ from: 'docker.io', to: ['mirror.gcr.io'] }] }]);
    await page.getByText('Saved', { exact: true }).waitFor();
    await page.close();
  });

  it('says the last good rules stay in force when the file breaks later, and cancels a replace', async () => {
    const page = await open();
    await page.evaluate(([s, problem]) => window.__fake.emit('config.changed', { ...s, revision: 8, error: problem }), [configState, fileProblem] as const);
    const problem = alert(page, 'The config file has a problem');
    expect(await problem.innerText()).toContain('The last good rules (3 rules) stay in force until this is fixed.');
    await problem.getByRole('button', { name: 'Replace the file with these rules…' }).click();
    await problem.getByRole('button', { name: 'Cancel' }).click();
    await problem.getByRole('button', { name: 'Open file' }).waitFor();
    expect(await calls(page, 'config.replaceInvalidFile')).toEqual([]);
    await page.close();
  });

  it('shows an engine that does not answer with where, why and Retry, on both views', async () => {
    const page = await open({}, engineDown);
    const down = alert(page, 'The Docker engine is not answering');
    expect(await down.innerText()).toContain('unix:///var/run/docker.sock, which did not answer: connect ENOENT /var/run/docker.sock');
    await expectAccessible(page, 'the inspector with the engine down');
    await screenshot(page, 'engine-down');
    await page.evaluate((s) => { window.__fake.state.status = { ...s, upstream: { ...s.upstream, healthy: true } }; }, status);
    await down.getByRole('button', { name: 'Retry' }).click();
    await page.waitForFunction(() => !document.querySelector('[data-alert="engine"]'));
    expect(await calls(page, 'engine.retry')).toHaveLength(1);
    await page.close();
  });

  it('says once, not per mirror, that a pull failed because the engine is down', async () => {
    const page = await open({}, engineDown);
    const pull: LogEntry = {
      ...entries[3]!, seq: 1, status: 502, action: 'failed', imageBytes: undefined,
      error: 'the Docker engine did not answer (connect ENOENT /var/run/docker.sock), so docker-caching could not pull ubuntu:18.04: is Docker running?',
      rewrite: { ...entries[3]!.rewrite!, candidates: [], source: undefined, retag: [], untag: [], engineError: 'connect ENOENT /var/run/docker.sock' },
    };
    await pushEntries(page, [pull]);
    const row = page.locator('[data-seq="1"]');
    expect(await row.locator('.cell-reason').innerText()).toBe('engine not answering');
    await row.click();
    const detail = page.getByRole('complementary', { name: 'Request detail' });
    await detail.getByText('this is not a mirror failure', { exact: false }).waitFor();
    expect(await detail.getByRole('list', { name: 'Candidates tried' }).count()).toBe(0);
    expect((await detail.innerText()).match(/ENOENT/g)).toHaveLength(1);
    await page.close();
  });

  it('shows a socket held by another program', async () => {
    const page = await open({}, { status: { ...status, listening: null, listenError: `${SOCKET} is in use by another program (a docker-caching serve?)` } });
    const held = alert(page, 'docker-caching cannot listen on its socket');
    expect(await held.innerText()).toContain('is in use by another program');
    expect(await page.getByText('docker-caching is not listening yet: see the alert above.').count()).toBe(1);
    await page.close();
  });
});

describe('failures at scale', () => {
  it('filters 5,000 requests to the failed ones from the counter, with the reason and the image size in the list', async () => {
    const page = await open();
    await page.evaluate(() => window.__fake.pushSynthetic(1, 5_000));
    await page.waitForFunction(() => document.querySelector('.statusline')?.textContent?.includes('5,000 requests'));
    const failed = await page.evaluate(() => window.__fake.log.entries.filter((e) => e.action === 'failed').length);
    expect(failed).toBeGreaterThan(20);
    await page.evaluate(([s, n]) => window.__fake.emit('status.changed', { ...s, counters: { ...s.counters, failed: n } }), [status, failed] as const);
    const counter = page.getByRole('button', { name: `failed ${failed}` });
    await counter.click();
    await page.waitForFunction((n) => document.querySelector('.statusline')?.textContent?.includes(`${n} of 5,000 requests`), failed.toLocaleString('en-US'));
    expect(await counter.getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByRole('button', { name: 'failed', exact: true }).getAttribute('aria-pressed')).toBe('true');
    const reasons = await page.locator('[role="row"][data-seq] .cell-reason').allInnerTexts();
    expect(reasons.length).toBeGreaterThan(5);
    // A rate limit and a dead mirror read differently, row by row.
    expect(new Set(reasons)).toEqual(new Set([
      'toomanyrequests: You have reached your pull rate limit', 'dial tcp 127.0.0.1:5000: connect: connection refused', 'manifest unknown',
    ]));
    await expectAccessible(page, 'the inspector with failures filtered');
    await screenshot(page, 'failed-filtered-5000');
    await counter.click();
    await page.waitForFunction(() => document.querySelector('.statusline')?.textContent?.trim().startsWith('5,000 requests'));
    await page.close();
  });

  it('tells a rate-limited pull from a dead mirror, and shows image bytes, not the progress stream', async () => {
    const page = await open();
    await pushEntries(page, entries);
    const reason = (seq: number) => page.locator(`[data-seq="${seq}"] .cell-reason`).innerText();
    expect(await reason(4)).toBe('mirror.internal:5000 (mirror)');
    expect(await reason(5)).toBe('connection refused');
    expect(await reason(7)).toBe('original registry (mirror: manifest unknown)');
    expect(await reason(8)).toBe('blocked by rule for docker.io/badcorp');
    const size = (seq: number) => page.locator(`[data-seq="${seq}"] [role="gridcell"]`).last().innerText();
    expect(await size(4)).toBe('27 MB');
    expect(await size(7)).toBe('—');
    expect(await size(12)).toBe('7.5 kB');
    await page.close();
  });

  it('takes image:, status: and rule: words in the one filter box, and / goes there', async () => {
    const page = await open();
    await pushEntries(page, entries);
    await page.locator('[data-seq="12"]').waitFor();
    await page.locator('body').press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('request-search');
    const shown = () => page.$$eval('[role="row"][data-seq]', (rows) => rows.map((r) => Number((r as HTMLElement).dataset.seq)).sort((a, b) => a - b));
    await page.keyboard.type('status:failed');
    await page.waitForFunction(() => document.querySelectorAll('[role="row"][data-seq]').length === 1);
    expect(await shown()).toEqual([5]);
    await page.getByRole('searchbox', { name: 'Filter requests' }).fill('rule:docker.io/library image:redis');
    await page.waitForFunction(() => document.querySelector('[role="row"][data-seq]')?.getAttribute('data-seq') === '7' && document.querySelectorAll('[role="row"][data-seq]').length === 1);
    await page.getByRole('searchbox', { name: 'Filter requests' }).fill('status:4xx');
    await page.waitForFunction(() => document.querySelectorAll('[role="row"][data-seq]').length === 2);
    expect(await shown()).toEqual([8, 11]);
    await page.close();
  });
});

describe('detail pane', () => {
  it('is true for every outcome and offers edit rule, check mirror, copy reference and copy as docker pull', async () => {
    const page = await open();
    await pushEntries(page, [...entries, { ...entries[6]!, seq: 13, action: 'redirected', rewrite: { ...entries[6]!.rewrite!, source: 'localhost:5000/redis:7' } }]);
    await page.locator('[data-seq="8"]').click();
    const detail = page.getByRole('complementary', { name: 'Request detail' });
    await detail.getByText('docker-caching answered this itself (a block rule): the engine never received it.').waitFor();

    await page.locator('[data-seq="7"]').click();
    await detail.getByRole('region', { name: 'This image in the log' }).waitFor();
    expect(await detail.getByRole('region', { name: 'This image in the log' }).innerText()).toMatch(/Pulls\s+2 pulls, 1 fell back\s+Last source\s+localhost:5000\/redis:7/);
    await detail.getByRole('button', { name: 'Copy as docker pull' }).click();
    await detail.getByRole('button', { name: 'Copy reference' }).click();
    expect(await calls(page, 'app.copyText')).toEqual(['docker pull redis:7', 'docker.io/library/redis:7']);
    await detail.getByRole('button', { name: 'Check mirror localhost:5000' }).click();
    await detail.getByText('HTTP 200 from http://localhost:5000/v2/', { exact: false }).waitFor();
    expect((await calls(page, 'mirror.check')).map((c) => (c as { location: string }).location)).toEqual(['localhost:5000']);
    await expectAccessible(page, 'the inspector with a detail open');

    await detail.getByRole('button', { name: 'Edit rule for docker.io/library' }).click();
    await page.getByRole('tab', { name: 'Rules', selected: true }).waitFor();
    expect(await page.locator('[data-from-input]').inputValue()).toBe('docker.io/library');
    await page.close();
  });

  it('names the local cache for a pull it served, and leads to its settings instead of a mirror check', async () => {
    const page = await open();
    const viaCache: LogEntry = {
      ...entries[3]!, seq: 1,
      rewrite: {
        ...entries[3]!.rewrite!, rule: { index: -1, from: 'docker.io', cache: 'docker.io' }, source: '127.0.0.1:5050/library/ubuntu:18.04',
        candidates: [{ ref: '127.0.0.1:5050/library/ubuntu:18.04', kind: 'mirror', outcome: 'ok', startedMs: 1, durationMs: 900 }],
      },
    };
    await pushEntries(page, [viaCache]);
    expect(await page.locator('[data-seq="1"] .cell-reason').innerText()).toBe('local cache (docker.io)');
    await page.locator('[data-seq="1"]').click();
    const detail = page.getByRole('complementary', { name: 'Request detail' });
    await detail.getByRole('button', { name: 'Local cache settings' }).click();
    await page.getByRole('region', { name: 'Local cache settings' }).waitFor();
    await page.getByRole('tab', { name: 'Inspector' }).click();
    await detail.getByRole('button', { name: 'Local cache settings' }).waitFor();
    expect(await page.getByRole('button', { name: /^Check mirror/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Edit rule/ }).count()).toBe(0);
    await page.close();
  });

  it('resizes the split with the keyboard and the pointer, and closes with Escape from the detail', async () => {
    const page = await open();
    await pushEntries(page, entries);
    await page.locator('[data-seq="4"]').click();
    const splitter = page.getByRole('separator', { name: 'Resize the request detail' });
    const width = () => page.locator('.detail').evaluate((d) => Math.round(d.getBoundingClientRect().width));
    const before = await width();
    await splitter.focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    expect(await width()).toBe(before + 48);
    expect(await splitter.getAttribute('aria-valuenow')).toBe(String(before + 48));
    const box = (await splitter.boundingBox())!;
    await page.mouse.move(box.x + 3, box.y + 100);
    await page.mouse.down();
    await page.mouse.move(box.x + 103, box.y + 100, { steps: 4 });
    await page.mouse.up();
    expect(await width()).toBe(before - 52);
    // The detail body scrolls from the keyboard, and Escape there closes the detail.
    await page.getByRole('region', { name: 'Request detail content' }).focus();
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => !document.querySelector('.detail'));
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Requests');
    await page.close();
  });
});

describe('keyboard', () => {
  it('offers a skip link first, straight to the list (or the selected rule), and / to the search box of the view', async () => {
    const page = await open();
    await pushEntries(page, entries);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to the requests');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Requests');
    expect(await page.locator('h1').innerText()).toBe('docker-caching');

    // In the rules, the skip link leads to the selected rule and / to "Try an image".
    await page.getByRole('tab', { name: 'Rules' }).click();
    await page.getByRole('link', { name: 'Skip to the rules' }).focus();
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.querySelector('.rule-from')?.textContent)).toBe('docker.io/library');
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('try-image-input');
    // While typing, / is a character, not a shortcut.
    await page.keyboard.press('End');
    await page.keyboard.type('/x');
    expect(await page.getByLabel('Image reference to try').inputValue()).toBe('ubuntu:18.04/x');
    await page.close();
  });
});

describe('accessibility in every view and theme', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`has no serious or critical axe-core violation (${scheme})`, async () => {
      const page = await open({ colorScheme: scheme });
      await pushEntries(page, entries);
      await page.locator('[data-seq="4"]').click();
      await page.getByRole('region', { name: 'Request headers' }).waitFor();
      await expectAccessible(page, `the inspector (${scheme})`);
      await page.getByRole('tab', { name: 'Rules' }).click();
      await page.getByRole('region', { name: 'Rule for docker.io/library' }).waitFor();
      await expectAccessible(page, `the rules (${scheme})`);
      await page.getByRole('textbox', { name: 'Mirror 1 location' }).fill('https://mirror.example.com/');
      await page.getByRole('button', { name: 'Use mirror.example.com' }).waitFor();
      await expectAccessible(page, `the rules with an error (${scheme})`);
      await page.close();

      const first = await open({ colorScheme: scheme }, { ...firstRun, status: { ...firstRun.status!, upstream: engineDown.status!.upstream } });
      await first.getByRole('region', { name: 'Get started' }).waitFor();
      await expectAccessible(first, `the first run with the engine down (${scheme})`);
      await screenshot(first, `first-run-engine-down-${scheme}`);
      await first.getByRole('tab', { name: 'Rules' }).click();
      await first.getByText('No rules yet').waitFor();
      await expectAccessible(first, `the empty rules (${scheme})`);
      await first.close();
    });
  }
});

describe('room', () => {
  it('is usable at 800 px: nothing scrolls the page, the detail covers the list and closes again', async () => {
    const page = await open();
    await page.setViewportSize({ width: 800, height: 600 });
    await pushEntries(page, entries);
    await page.locator('[data-seq="4"]').click();
    await page.getByRole('region', { name: 'Request headers' }).waitFor();
    expect(await pageOverflow(page)).toEqual({ x: 0, y: 0 });
    const list = await page.locator('.list').boundingBox();
    expect(list?.height ?? 0).toBeGreaterThan(250);
    expect(await page.getByRole('separator').isVisible()).toBe(false);
    await screenshot(page, 'width-800-detail');
    await page.getByRole('button', { name: 'Close detail' }).click();
    await screenshot(page, 'width-800');
    await page.getByRole('tab', { name: 'Rules' }).click();
    expect(await pageOverflow(page)).toEqual({ x: 0, y: 0 });
    await screenshot(page, 'width-800-rules');
    await page.close();
  });

  it('is usable at 150% zoom (a 1280×800 window): the page never scrolls, the panes do', async () => {
    const page = await open({}, { ...invalidAtStart });
    // 150% zoom of a 1280×800 window leaves 853×533 CSS pixels.
    await page.setViewportSize({ width: 853, height: 533 });
    await pushEntries(page, entries);
    await page.locator('[data-seq="12"]').waitFor();
    expect(await pageOverflow(page)).toEqual({ x: 0, y: 0 });
    expect((await page.locator('.list').boundingBox())?.height ?? 0).toBeGreaterThan(100);
    await screenshot(page, 'zoom-150');
    await page.getByRole('tab', { name: 'Rules' }).click();
    expect(await pageOverflow(page)).toEqual({ x: 0, y: 0 });
    await screenshot(page, 'zoom-150-rules');
    await page.close();
  });
});

