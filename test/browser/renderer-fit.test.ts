// Text that must not be cut off, measured in Debian's Chromium at common window widths: a pull's
// cache verdict (", hit" / ", miss") in the request list, with the detail pane closed, open and
// at its widest,
// and the local cache form's registry names and upstream URLs. "Visible" means the glyphs' own
// boxes (a Range over the words) lie inside every box that clips them, so an ellipsis or an
// overflowing cell fails the test whatever the CSS that caused it.
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { CacheServed, LogEntry } from '#shared/log';
import { afterFrames, config, configState, entries, pushEntries, redirectedPull, throughCache, useRendererPage } from './renderer-fixture';

const open = useRendererPage();

const WIDTHS = [1280, 1360, 1920];

/**
 * Where `words` (inside `container`) are clipped: for each clipping box around them that does
 * not hold their glyphs whole, its tag and class. Empty when they are fully visible; a message
 * when the words are not there at all.
 */
function clipping(container: Locator, words: string): Promise<string[]> {
  return container.evaluate((root, wanted) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent?.indexOf(wanted) ?? -1;
      if (at < 0) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + wanted.length);
      const glyphs = range.getBoundingClientRect();
      const clipped: string[] = [];
      for (let el = node.parentElement; el; el = el.parentElement) {
        const style = getComputedStyle(el);
        if (style.overflowX !== 'visible' || el === document.documentElement) {
          const box = el.getBoundingClientRect();
          const left = box.left + el.clientLeft;
          const right = left + (el === document.documentElement ? window.innerWidth : el.clientWidth);
          if (glyphs.left < left - 0.5 || glyphs.right > right + 0.5) clipped.push(`${el.tagName.toLowerCase()}.${el.className} (${Math.round(glyphs.left)}-${Math.round(glyphs.right)} outside ${Math.round(left)}-${Math.round(right)})`);
        }
      }
      return clipped;
    }
    return [`"${wanted}" is not in the text at all`];
  }, words);
}

describe('a pull\'s cache verdict in the request list', () => {
  async function listWith(width: number, served: CacheServed): Promise<{ page: Page; cell: Locator }> {
    const detail = throughCache({ outcome: 'used', served });
    const page = await open({}, { details: { [redirectedPull.seq]: detail } });
    await page.setViewportSize({ width, height: 800 });
    // A long image name, as a real one often is: the verdict must not be what gives way.
    const rows: LogEntry[] = entries.map((e) => (e.seq === redirectedPull.seq ? { ...e, image: 'mcr.microsoft.com/dotnet/sdk:8.0-bookworm-slim-amd64', rewrite: detail.rewrite } : e));
    await pushEntries(page, rows);
    return { page, cell: page.locator(`[data-seq="${redirectedPull.seq}"] .cell-reason`) };
  }

  for (const width of WIDTHS) {
    it(`shows ", hit" and ", miss" whole at ${width} px, with the detail pane closed and open`, async () => {
      for (const [served, verdict] of [[{ kind: 'hit' }, 'hit'], [{ kind: 'miss', layersFetched: 1, layers: 3 }, 'miss']] as const) {
        const { page, cell } = await listWith(width, served);
        expect(await clipping(cell, verdict), `${verdict}, detail closed`).toEqual([]);
        await cell.click();
        await page.getByRole('complementary', { name: 'Request detail' }).waitFor();
        expect(await clipping(cell, verdict), `${verdict}, detail open`).toEqual([]);
        // The words before it give way instead, and the cell's tooltip keeps the whole text.
        expect(await cell.getAttribute('title')).toBe(`local cache (docker.io), ${verdict}`);
        await page.close();
      }
    });
  }

  it('keeps the verdict whole where the column is too narrow for the rest (detail pane at its widest, 1,280 px)', async () => {
    const { page, cell } = await listWith(1280, { kind: 'miss', layersFetched: 1, layers: 3 });
    await cell.click();
    await page.getByRole('separator', { name: 'Resize the request detail' }).press('Home');
    await afterFrames(page);
    expect(await clipping(cell, 'local cache (docker.io)')).not.toEqual([]);
    expect(await clipping(cell, 'miss')).toEqual([]);
    await page.close();
  });
});

describe('the local cache settings form', () => {
  for (const width of WIDTHS) {
    it(`shows every registry's name and upstream URL whole at ${width} px, its checkboxes level with its inputs`, async () => {
      const withCustom = { ...configState, config: { ...config, cache: { ...config.cache, registries: { 'registry.corp:8443': { port: 5060, credentials: true } } } } };
      const page = await open({}, { config: withCustom });
      await page.setViewportSize({ width, height: 800 });
      await page.getByRole('tab', { name: 'Rules' }).click();
      const table = page.getByRole('table', { name: 'Cached registries' });
      await table.scrollIntoViewIfNeeded();
      const rows = table.locator('tbody tr');
      expect(await rows.count()).toBe(8);
      for (const row of await rows.all()) {
        const registry = await row.locator('th code').innerText();
        expect(await clipping(row.locator('th'), registry), registry).toEqual([]);
        // The upstream shows as its placeholder (the default URL) until the user types one.
        expect(await placeholderOverflow(row.getByLabel(`Upstream for ${registry}`)), `upstream of ${registry}`).toBeLessThanOrEqual(0);
        const port = await row.getByLabel(`Port for ${registry}`).boundingBox();
        for (const box of [row.getByLabel(`Cache ${registry}`), row.getByLabel(`Use my docker login for ${registry}`), row.locator('th code')]) {
          const b = (await box.boundingBox())!;
          expect(Math.abs(b.y + b.height / 2 - (port!.y + port!.height / 2)), `${registry}: ${await box.evaluate((el) => el.outerHTML.slice(0, 60))} level with the port`).toBeLessThanOrEqual(2);
        }
      }
      await page.close();
    });
  }
});

/** How many pixels an input's placeholder is wider than the room for it (<= 0 when it fits). */
function placeholderOverflow(input: Locator): Promise<number> {
  return input.evaluate((el) => {
    const field = el as HTMLInputElement;
    const style = getComputedStyle(field, '::placeholder');
    const own = getComputedStyle(field);
    const context = document.createElement('canvas').getContext('2d')!;
    context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const text = field.value || field.placeholder;
    const room = field.clientWidth - parseFloat(own.paddingLeft) - parseFloat(own.paddingRight);
    return context.measureText(text).width - room;
  });
}
