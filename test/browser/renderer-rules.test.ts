// The rule editor, built, in Debian's Chromium under the app's CSP, with a fake bridge: the
// form edits a draft validated live by the shared schema, Save (or Ctrl+S) sends it with the
// base revision, Revert restores it, changes on disk are announced, the list reads as the rules
// match (most specific first) and reorders only rules that tie, "Try an image" runs the shared
// planPull on the draft, "Check" asks main about a mirror.
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { Config } from '#shared/config/schema';
import type { ConfigState } from '#shared/ipc';
import type { OpenOptions } from './renderer-fixture';
import { afterFrames, calls, config, configState, init, screenshot, useRendererPage } from './renderer-fixture';

const open = useRendererPage();

async function openRules(options: OpenOptions = {}, over: Parameters<typeof init>[0] = {}): Promise<Page> {
  const page = await open(options, over);
  await page.getByRole('tab', { name: 'Rules' }).click();
  await page.getByRole('list', { name: /Rules/ }).waitFor();
  return page;
}

const ruleItems = (page: Page): Locator => page.getByRole('list', { name: /Rules/ }).locator(':scope > li');
const ruleFroms = (page: Page): Promise<string[]> => page.locator('.rule-from').allInnerTexts();
/** The list button of the rule with this prefix (the nth of them when several share it). */
const pick = (page: Page, from: string, nth = 0): Locator =>
  ruleItems(page).filter({ has: page.locator('.rule-from', { hasText: new RegExp(`^${from.replace(/[.*]/g, '\\$&')}$`) }) }).nth(nth).locator('.rule-select');
const form = (page: Page): Locator => page.locator('.rule-form');
const saves = async (page: Page): Promise<{ config: Config; baseRevision: number }[]> =>
  (await calls(page, 'config.save')) as { config: Config; baseRevision: number }[];
const unsaved = (page: Page): Locator => page.getByRole('status').filter({ hasText: 'Unsaved changes' });

describe('rule form', () => {
  it('edits the selected rule and saves the draft against the revision it started from', async () => {
    const page = await openRules();
    expect(await ruleFroms(page)).toEqual(['docker.io/library', 'docker.io/badcorp', 'ghcr.io']);
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);

    await pick(page, 'ghcr.io').click();
    await form(page).getByLabel('Images starting with').fill('ghcr.io/org');
    await form(page).getByLabel('Fall back to the original registry').check();
    await unsaved(page).waitFor();
    expect(await page.getByRole('tab', { name: /Rules/ }).innerText()).toContain('Rules');
    expect(await page.locator('.tab-dot').count()).toBe(1);

    await page.keyboard.press('Control+s');
    await unsaved(page).waitFor({ state: 'detached' });
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const [saved] = await saves(page);
    expect(saved!.baseRevision).toBe(7);
    expect(saved!.config.rules[1]).toEqual({ ...config.rules[1], from: 'ghcr.io/org', fallback: true });
    expect(saved!.config.rules[0]).toEqual(config.rules[0]);
    expect(await page.evaluate(() => window.__fake.state.config.revision)).toBe(8);
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await page.close();
  });

  it('shows the schema problem under the field as the user types, and does not save an invalid draft', async () => {
    const page = await openRules();
    const mirror = form(page).getByLabel('Mirror 1 location');
    await mirror.fill('http://localhost:5000');
    const error = form(page).locator('.mirror-row').first().locator('.field-error');
    expect(await error.innerText()).toContain('must not start with http://');
    expect(await mirror.getAttribute('aria-invalid')).toBe('true');
    expect(await ruleItems(page).first().locator('.rule-problems').count()).toBe(1);

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Fix the problem before saving').waitFor();
    expect(await saves(page)).toEqual([]);

    await mirror.fill('localhost:5000');
    expect(await error.count()).toBe(0);
    await form(page).getByLabel('Images starting with').fill('');
    expect(await form(page).locator('.has-error .field-error').innerText()).toContain('must not be empty');
    await page.close();
  });

  it('reverts the draft to the saved rules', async () => {
    const page = await openRules();
    await form(page).getByLabel('Name (optional)').fill('Changed');
    await form(page).getByLabel('Only pulls by digest').check();
    await unsaved(page).waitFor();
    await page.getByRole('button', { name: 'Revert' }).click();
    await unsaved(page).waitFor({ state: 'detached' });
    expect(await form(page).getByLabel('Name (optional)').inputValue()).toBe('Hub official images');
    expect(await form(page).getByLabel('Only pulls by digest').isChecked()).toBe(false);
    await page.close();
  });

  it('turns a mirror rule into a block rule with its message', async () => {
    const page = await openRules();
    await pick(page, 'ghcr.io').click();
    await form(page).getByLabel('Block the pull').check();
    expect(await form(page).getByLabel('Mirror 1 location').count()).toBe(0);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Fix the problem before saving').waitFor();
    expect(await form(page).locator('.field-error').innerText()).toContain('must not be empty');
    await form(page).getByLabel('Message shown to whoever pulls').fill('Use the internal registry.');
    await page.getByRole('button', { name: 'Save' }).click();
    await unsaved(page).waitFor({ state: 'detached' });
    expect((await saves(page))[0]!.config.rules[1]).toEqual({ from: 'ghcr.io', enabled: true, block: 'Use the internal registry.' });
    await page.close();
  });

  it('edits the ordered mirrors: add, reorder, remove', async () => {
    const page = await openRules();
    await form(page).getByRole('button', { name: 'Add a mirror' }).click();
    await form(page).getByLabel('Mirror 3 location').fill('backup.example.com:5000');
    await form(page).getByRole('button', { name: 'Move mirror 3 up' }).click();
    await form(page).getByRole('button', { name: 'Remove mirror 1' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await unsaved(page).waitFor({ state: 'detached' });
    expect((await saves(page))[0]!.config.rules[0]).toMatchObject({ to: ['backup.example.com:5000', 'mirror.internal:5000/hub'] });
    await page.close();
  });

  it('guards unsaved changes when the page would unload', async () => {
    const page = await openRules();
    const prevented = (): Promise<boolean> => page.evaluate(() => {
      const event = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(event);
      return event.defaultPrevented;
    });
    expect(await prevented()).toBe(false);
    await form(page).getByLabel('Name (optional)').fill('Changed');
    expect(await prevented()).toBe(true);
    await page.close();
  });
});

describe('rule list', () => {
  it('adds (focus in its first field), duplicates, deletes and undoes a delete', async () => {
    const page = await openRules();
    await page.getByRole('button', { name: 'Mirror rule' }).click();
    expect(await ruleItems(page).count()).toBe(4);
    expect(await page.locator('.rule-form h2').innerText()).toBe('New rule');
    expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-from-input'))).toBe(true);
    await page.keyboard.type('quay.io');
    await form(page).getByLabel('Mirror 1 location').fill('quay-cache.internal');
    await form(page).getByRole('button', { name: 'Duplicate' }).click();
    expect(await ruleFroms(page)).toEqual(['docker.io/library', 'docker.io/badcorp', 'ghcr.io', 'quay.io', 'quay.io']);
    await pick(page, 'docker.io/library').click();
    await form(page).getByRole('button', { name: 'Delete' }).click();
    expect(await ruleFroms(page)).toEqual(['docker.io/badcorp', 'ghcr.io', 'quay.io', 'quay.io']);
    await page.getByRole('button', { name: 'Undo' }).click();
    expect(await ruleFroms(page)).toEqual(['docker.io/library', 'docker.io/badcorp', 'ghcr.io', 'quay.io', 'quay.io']);
    await pick(page, 'docker.io/library').click();
    await form(page).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await unsaved(page).waitFor({ state: 'detached' });
    expect((await saves(page))[0]!.config.rules.map((r) => r.from)).toEqual(['ghcr.io', 'docker.io/badcorp', 'quay.io', 'quay.io']);
    expect(await page.getByRole('button', { name: 'Undo' }).count()).toBe(0);
    await page.close();
  });

  it('lists the most specific prefix first, says so, and offers reordering only where prefixes tie', async () => {
    const tied: Config = {
      ...config,
      rules: [
        { ...config.rules[0]!, from: 'docker.io', name: 'All of Hub' },
        config.rules[1]!,
        { ...config.rules[0]!, from: 'docker.io/library', name: 'Hub official images' },
        { ...config.rules[0]!, from: 'docker.io/library', name: 'Second official', to: ['backup.internal'] },
      ],
    };
    const page = await openRules({}, { config: { ...configState, config: tied } });
    expect(await ruleFroms(page)).toEqual(['docker.io/library', 'docker.io/library', 'docker.io', 'ghcr.io']);
    expect(await page.locator('.rule-list .pane-head').innerText()).toContain('The most specific prefix wins');
    // Each rule's button reads as its parts, not as one run-together name.
    const named = (...parts: string[]) => page.getByRole('button', { name: new RegExp(`^${parts.map((p) => p.replace(/[.+]/g, '\\$&')).join('\\s*')}$`) });
    expect(await named('All of Hub', ':', 'docker.io', ',', 'to localhost:5000 +1').count()).toBe(1);
    expect(await named('ghcr.io', ',', 'to ghcr-cache.internal').count()).toBe(1);
    expect(await named('Second official', ':', 'docker.io/library', ',', 'to backup.internal', ',', 'after the other rule for this prefix').count()).toBe(1);
    // Only the two rules for docker.io/library can move, and only past each other.
    expect(await page.getByRole('button', { name: /earlier|later/ }).count()).toBe(4);
    await screenshot(page, 'rules-by-specificity');
    await pick(page, 'docker.io').focus();
    await page.keyboard.press('Alt+ArrowUp');
    expect(await ruleFroms(page)).toEqual(['docker.io/library', 'docker.io/library', 'docker.io', 'ghcr.io']);
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Move Second official earlier' }).click();
    expect(await page.locator('.rule-name').allInnerTexts()).toEqual(['Second official', 'Hub official images', 'All of Hub']);
    expect(await page.locator('.rule-tie').first().innerText()).toBe('wins over the other rule for this prefix');
    await unsaved(page).waitFor();
    // Moving it back leaves nothing to save: no file is rewritten.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain('Second official');
    await page.keyboard.press('Alt+ArrowDown');
    expect(await page.locator('.rule-name').allInnerTexts()).toEqual(['Hub official images', 'Second official', 'All of Hub']);
    await unsaved(page).waitFor({ state: 'detached' });
    expect(await page.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    await page.keyboard.press('Control+s');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain('All of Hub');
    expect(await saves(page)).toEqual([]);
    await page.close();
  });

  it('switches a rule off from the list', async () => {
    const page = await openRules();
    await page.getByRole('switch', { name: 'docker.io/badcorp enabled' }).click();
    await unsaved(page).waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await unsaved(page).waitFor({ state: 'detached' });
    expect((await saves(page))[0]!.config.rules[2]!.enabled).toBe(false);
    await page.close();
  });
});

describe('changes from elsewhere', () => {
  const edited = (revision: number): ConfigState => ({
    ...configState, revision,
    config: { ...config, rules: [config.rules[0]!, { ...config.rules[1]!, from: 'ghcr.io/edited' }, config.rules[2]!] },
  });

  it('takes a newer config quietly when nothing is being edited', async () => {
    const page = await openRules();
    await page.evaluate((s) => window.__fake.emit('config.changed', s), edited(8));
    await page.locator('.rule-from', { hasText: 'ghcr.io/edited' }).waitFor();
    expect(await page.locator('.banner').count()).toBe(0);
    await page.close();
  });

  it('says the file changed while editing and loads it from disk on request', async () => {
    const page = await openRules();
    await form(page).getByLabel('Name (optional)').fill('Mine');
    await page.evaluate((s) => window.__fake.emit('config.changed', s), edited(8));
    const banner = page.getByRole('alert').filter({ hasText: 'changed on disk while you were editing' });
    await banner.waitFor();
    expect(await form(page).getByLabel('Name (optional)').inputValue()).toBe('Mine');
    await banner.getByRole('button', { name: 'Load from disk' }).click();
    await banner.waitFor({ state: 'detached' });
    expect(await ruleFroms(page)).toEqual(['docker.io/library', 'docker.io/badcorp', 'ghcr.io/edited']);
    expect(await form(page).getByLabel('Name (optional)').inputValue()).toBe('Hub official images');
    await unsaved(page).waitFor({ state: 'detached' });
    await page.close();
  });

  it('saves the draft over the file on request, against the new revision', async () => {
    const page = await openRules();
    await form(page).getByLabel('Name (optional)').fill('Mine');
    await page.evaluate((s) => {
      window.__fake.state.config = s;
      window.__fake.emit('config.changed', s);
    }, edited(8));
    const banner = page.getByRole('alert').filter({ hasText: 'changed on disk while you were editing' });
    await banner.getByRole('button', { name: 'Save mine over it' }).click();
    await banner.waitFor({ state: 'detached' });
    await unsaved(page).waitFor({ state: 'detached' });
    const [saved] = await saves(page);
    expect(saved!.baseRevision).toBe(8);
    expect(saved!.config.rules[0]!.name).toBe('Mine');
    expect(saved!.config.rules[1]!.from).toBe('ghcr.io');
    await page.close();
  });

  it('keeps the draft when only the master switch changed elsewhere', async () => {
    const page = await openRules();
    await form(page).getByLabel('Name (optional)').fill('Mine');
    await page.evaluate((s) => {
      window.__fake.state.config = s;
      window.__fake.emit('config.changed', s);
    }, { ...configState, revision: 8, config: { ...config, enabled: false } });
    await afterFrames(page);
    expect(await page.locator('.banner').count()).toBe(0);
    await page.getByRole('button', { name: 'Save' }).click();
    await unsaved(page).waitFor({ state: 'detached' });
    const [saved] = await saves(page);
    expect(saved).toMatchObject({ baseRevision: 8, config: { enabled: false } });
    await page.close();
  });

  it('shows why main refused to save', async () => {
    const page = await openRules({}, { failures: { 'config.save': 'cannot write /home/dev/.config/docker-caching/config.yaml: permission denied' } });
    await form(page).getByLabel('Name (optional)').fill('Mine');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('alert').filter({ hasText: 'Not saved: cannot write' }).waitFor();
    await unsaved(page).waitFor();
    await page.close();
  });

  it('reports a config file that became invalid on disk', async () => {
    const page = await openRules();
    await page.evaluate((s) => window.__fake.emit('config.changed', s), {
      ...configState, error: { file: configState.path, line: 12, field: 'rules.1.to', message: 'must be a registry location such as localhost:5000' },
    });
    await page.getByRole('alert').filter({ hasText: 'config.yaml:12: rules.1.to: must be a registry location' }).waitFor();
    await page.close();
  });
});

describe('try an image', () => {
  const tryImage = (page: Page): Locator => page.getByRole('region', { name: 'Try an image' });
  const candidates = (page: Page): Promise<string[]> =>
    tryImage(page).getByRole('list', { name: 'Candidates in order' }).locator('li code').allInnerTexts();

  it('shows the normalised name, the matching rule and the candidates in order, live from the draft', async () => {
    const page = await openRules();
    const input = tryImage(page).getByLabel('Image reference to try');
    await input.fill('redis');
    expect(await tryImage(page).getByTestId('try-normalized').innerText()).toBe('docker.io/library/redis');
    expect(await tryImage(page).innerText()).toContain('Rule "Hub official images" (from docker.io/library)');
    expect(await candidates(page)).toEqual(['localhost:5000/redis:latest', 'mirror.internal:5000/hub/redis:latest', 'docker.io/library/redis:latest']);

    await input.fill('ghcr.io/org/app:1.2');
    expect(await candidates(page)).toEqual(['ghcr-cache.internal/org/app:1.2']);
    expect(await tryImage(page).locator('.tag-unsaved').count()).toBe(0);
    await pick(page, 'ghcr.io').click();
    await form(page).getByLabel('Fall back to the original registry').check();
    expect(await candidates(page)).toEqual(['ghcr-cache.internal/org/app:1.2', 'ghcr.io/org/app:1.2']);
    // The preview is the draft's, the rule is marked unsaved, and the saved rules' outcome is told too.
    expect(await tryImage(page).locator('.tag-unsaved').textContent()).toBe('unsaved');
    expect(await tryImage(page).innerText()).toContain('With the saved rules: Rule 2 (from ghcr.io) sends ghcr.io/org/app:1.2 to ghcr-cache.internal/org/app:1.2, and never to the original registry.');
    // A draft rule with a problem is left out of the preview, and said so.
    await form(page).getByLabel('Mirror 1 location').fill('https://ghcr-cache.internal');
    expect(await tryImage(page).innerText()).toContain('One edited rule has a problem and is left out until fixed.');
    // Without that rule, ghcr.io goes through its local cache, the lowest-priority rule.
    expect(await candidates(page)).toEqual(['127.0.0.1:5051/org/app:1.2', 'ghcr.io/org/app:1.2']);
    await form(page).getByRole('button', { name: 'Use ghcr-cache.internal' }).click();
    expect(await form(page).getByLabel('Mirror 1 location').inputValue()).toBe('ghcr-cache.internal');
    expect(await candidates(page)).toEqual(['ghcr-cache.internal/org/app:1.2', 'ghcr.io/org/app:1.2']);

    await input.fill('badcorp/miner');
    expect(await tryImage(page).locator('.plan-action').innerText()).toBe('blocked');
    expect(await tryImage(page).innerText()).toContain('Images from badcorp are not allowed');

    await input.fill('quay.io/x/y');
    expect(await tryImage(page).getByTestId('try-cache').innerText()).toBe('local cache (quay.io)');
    expect(await candidates(page)).toEqual(['127.0.0.1:5052/x/y:latest', 'quay.io/x/y:latest']);

    await input.fill('registry.example.com/x/y');
    expect(await tryImage(page).innerText()).toContain('none matches');
    expect(await candidates(page)).toEqual(['registry.example.com/x/y:latest']);

    await input.fill('Ubuntu:18.04');
    expect(await tryImage(page).getByRole('alert').innerText()).toContain('must be lowercase');
    await page.close();
  });

  it('says when a mirror is the original itself and when a candidate repeats an earlier one', async () => {
    const selfRule = { from: '127.0.0.1:5300', to: ['127.0.0.1:5300', '127.0.0.1:5300'], fallback: true, retag: true, keepMirrorTag: false, digestOnly: false, enabled: true };
    const page = await openRules({}, { config: { ...configState, config: { ...config, rules: [...config.rules, selfRule] } } });
    await tryImage(page).getByLabel('Image reference to try').fill('127.0.0.1:5300/app:1');
    expect(await candidates(page)).toEqual(['127.0.0.1:5300/app:1', '127.0.0.1:5300/app:1', '127.0.0.1:5300/app:1']);
    const skipped = await tryImage(page).locator('li.skipped .candidate-reason').allInnerTexts();
    expect(skipped).toEqual(['skipped: the same reference as candidate 1, which is tried already.', 'skipped: the same reference as candidate 1, which is tried already.']);
    expect(await tryImage(page).locator('.explanation').innerText()).toContain('127.0.0.1:5300/app:1 (the original itself) (2 candidates repeat earlier ones and are dropped)');
    await page.close();
  });
});

describe('check mirror', () => {
  it('shows reachable, needs login or unreachable with the reason', async () => {
    const page = await openRules({}, {
      mirrorChecks: {
        'mirror.internal:5000/hub': { location: 'mirror.internal:5000/hub', state: 'needs login', reason: 'HTTP 401 from https://mirror.internal:5000/v2/', status: 401 },
        'ghcr-cache.internal': { location: 'ghcr-cache.internal', state: 'unreachable', reason: 'connection refused' },
      },
    });
    await form(page).getByRole('button', { name: 'Check mirror 1' }).click();
    await form(page).getByRole('button', { name: 'Check mirror 2' }).click();
    const rows = form(page).locator('.mirror-row');
    await rows.nth(1).locator('.check-needs-login').waitFor();
    expect(await rows.nth(0).locator('.check').innerText()).toBe('reachable · HTTP 200 from http://localhost:5000/v2/');
    expect(await rows.nth(1).locator('.check').innerText()).toBe('needs login · HTTP 401 from https://mirror.internal:5000/v2/');
    await pick(page, 'ghcr.io').click();
    await form(page).getByRole('button', { name: 'Check mirror 1' }).click();
    expect(await form(page).locator('.check-unreachable').innerText()).toBe('unreachable · connection refused');
    expect((await calls(page, 'mirror.check')).map((c) => (c as { location: string }).location)).toEqual(['localhost:5000', 'mirror.internal:5000/hub', 'ghcr-cache.internal']);
    // Main is told the draft's mirrors before each check: it probes only those or the saved ones.
    expect(await calls(page, 'rules.draft')).toHaveLength(3);
    expect((await calls(page, 'rules.draft'))[0]).toEqual({ mirrors: expect.arrayContaining(['localhost:5000', 'mirror.internal:5000/hub', 'ghcr-cache.internal']) });
    await page.close();
  });
});

describe('screenshots', () => {
  for (const scheme of ['light', 'dark'] as const) {
    it(`rule editor with an error (${scheme})`, async () => {
      const page = await openRules({ colorScheme: scheme });
      await form(page).getByLabel('Mirror 2 location').fill('https://mirror.internal:5000/hub');
      await form(page).getByRole('button', { name: 'Check mirror 1' }).click();
      await form(page).locator('.check-reachable').waitFor();
      await page.getByRole('region', { name: 'Try an image' }).getByLabel('Image reference to try').fill('ubuntu:18.04');
      await screenshot(page, `rules-${scheme}`);
      await page.close();
    });
  }
});
