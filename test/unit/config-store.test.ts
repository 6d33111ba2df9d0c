import { promises as fs } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigStore, type DiskCheck } from '../../main/engine/config/config-store';
import { configSchema, defaultConfig, type Config } from '#shared/config/schema';
import type { ConfigState } from '#shared/ipc';

let dir: string;
let file: string;
const stores: ConfigStore[] = [];

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'config-store-'));
  file = path.join(dir, 'config.yaml');
});
afterEach(async () => {
  for (const store of stores.splice(0)) store.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const hubRule = ['# mirrors for the team', 'version: 1', 'rules:', '  - from: docker.io/library # official images', '    to: localhost:5000', ''].join('\n');

async function open(): Promise<ConfigStore> {
  const store = await ConfigStore.open(file);
  stores.push(store);
  return store;
}

/** Records every change the store announces. */
function record(store: ConfigStore): ConfigState[] {
  const changes: ConfigState[] = [];
  store.onChange((state) => changes.push(state));
  return changes;
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Records every look the store takes at the file after an event on disk, changed or not. */
function recordChecks(store: ConfigStore): DiskCheck[] {
  const checks: DiskCheck[] = [];
  store.onChecked((check) => checks.push(check));
  return checks;
}

/** Replaces the file the way editors do: write a new file, rename it over the old one. */
async function editorSave(text: string): Promise<void> {
  await fs.writeFile(`${file}.tmp~`, text);
  await fs.rename(`${file}.tmp~`, file);
}

function withEnabled(config: Config, enabled: boolean): Config {
  return configSchema.parse({ ...config, enabled });
}

describe('opening the config', () => {
  it('starts from the defaults when there is no file, and does not create one', async () => {
    const store = await open();
    expect(store.get()).toEqual({ config: defaultConfig, revision: 1, path: file });
    await expect(fs.stat(file)).rejects.toThrow(/ENOENT/);
  });

  it('loads a valid file without rewriting it', async () => {
    await fs.writeFile(file, hubRule);
    const before = await fs.stat(file);
    const store = await open();
    expect(store.get().config.rules).toEqual([
      { from: 'docker.io/library', to: ['localhost:5000'], fallback: true, retag: true, keepMirrorTag: false, digestOnly: false, enabled: true },
    ]);
    expect(await fs.readFile(file, 'utf8')).toBe(hubRule);
    expect((await fs.stat(file)).mtimeMs).toBe(before.mtimeMs);
  });

  it('refuses an invalid file with the one-line problem, leaving the file as it was', async () => {
    const broken = hubRule.replace('to: localhost:5000', 'to: [localhost:5000, 5000]');
    await fs.writeFile(file, broken);
    await expect(ConfigStore.open(file)).rejects.toThrow(`${file}:5: rules.0.to.1: must be text, not 5000`);
    expect(await fs.readFile(file, 'utf8')).toBe(broken);
  });
});

describe('edits on disk', () => {
  it('takes in a valid edit without a restart', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const changes = record(store);
    await editorSave(`${hubRule}  - from: quay.io\n    block: not here\n`);
    await waitFor(() => changes.length > 0, 5000, 'the edit to be picked up');
    expect(changes).toHaveLength(1);
    expect(changes[0]?.revision).toBe(2);
    expect(store.get().config.rules.map((rule) => rule.from)).toEqual(['docker.io/library', 'quay.io']);
    expect(store.get().error).toBeUndefined();
  });

  it('keeps the last good config in force and reports an invalid edit with its line', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const good = store.get().config;
    const changes = record(store);
    await editorSave(hubRule.replace('docker.io/library', 'docker.io/library/ubuntu:18.04'));
    await waitFor(() => changes.length > 0, 5000, 'the invalid edit to be reported');
    expect(store.get().config).toEqual(good);
    expect(store.get().error).toMatchObject({ file, line: 4, field: 'rules.0.from' });

    await editorSave(hubRule.replace('localhost:5000', 'localhost:5001'));
    await waitFor(() => changes.length > 1, 5000, 'the fixed file to be picked up');
    expect(store.get().error).toBeUndefined();
    expect(store.get().config.rules[0]).toMatchObject({ to: ['localhost:5001'] });
  });

  it('keeps the last good rules, block rules too, with a warning when the file is deleted; a save from the app recreates it', async () => {
    await fs.writeFile(file, `${hubRule}  - from: quay.io\n    block: not here\n`);
    const store = await open();
    const rules = store.get().config.rules;
    const changes = record(store);
    await fs.rm(file);
    await waitFor(() => changes.length > 0, 5000, 'the deletion to be picked up');
    expect(store.get().config.rules).toEqual(rules);
    expect(store.get().error).toEqual({ file, message: 'the config file was deleted; the last good rules stay in force until it is back (or saved from the app)' });
    await store.setEnabled(false);
    expect(store.get().error).toBeUndefined();
    expect(await fs.readFile(file, 'utf8')).toContain('block: not here');
  });

  it('takes the file in again when a deleted config comes back', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const changes = record(store);
    await fs.rm(file);
    await waitFor(() => changes.length === 1, 5000, 'the deletion to be picked up');
    await editorSave(hubRule.replace('localhost:5000', 'localhost:5001'));
    await waitFor(() => changes.length === 2, 5000, 'the file coming back to be picked up');
    expect(store.get().error).toBeUndefined();
    expect(store.get().config.rules[0]).toMatchObject({ to: ['localhost:5001'] });
  });

  it('reports a config that became a FIFO, keeping the last good rules, and still closes', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const changes = record(store);
    await fs.rm(file);
    execFileSync('mkfifo', [file]);
    await waitFor(() => store.get().error?.message.includes('FIFO') === true, 5000, 'the FIFO to be reported');
    expect(changes.at(-1)?.config.rules).toHaveLength(1);
    store.close();
  });

  it('says nothing about an edit that changes only comments, but saves onto the new comments', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const changes = record(store);
    const checks = recordChecks(store);
    await editorSave(hubRule.replace('# mirrors for the team', '# mirrors for the whole team'));
    await waitFor(() => checks.length > 0, 5000, 'the edit to be checked');
    expect(checks.filter((check) => check.changed)).toEqual([]);
    expect(changes).toHaveLength(0);
    await store.setEnabled(false);
    expect(await fs.readFile(file, 'utf8')).toContain('# mirrors for the whole team\nversion: 1\nenabled: false\n');
  });
});

describe('saving from the app', () => {
  it('saves atomically onto the file, keeping its comments, and announces the new revision once', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const changes = record(store);
    const checks = recordChecks(store);
    const state = await store.save(withEnabled(store.get().config, false), 1);
    expect(state.revision).toBe(2);
    expect(state.config.enabled).toBe(false);
    expect(await fs.readFile(file, 'utf8')).toBe(
      ['# mirrors for the team', 'version: 1', 'enabled: false', 'rules:', '  - from: docker.io/library # official images', '    to: localhost:5000', ''].join('\n'),
    );
    // The watcher sees our own write; it must not come back as a second change.
    await waitFor(() => checks.length > 0, 5000, 'our own write to be checked');
    expect(checks.filter((check) => check.changed)).toEqual([]);
    expect(changes.map((change) => change.revision)).toEqual([2]);
    expect(await fs.readdir(dir)).toEqual(['config.yaml']);
  });

  it('creates the folder (0700) and the file (0600) on the first save', async () => {
    file = path.join(dir, 'docker-caching', 'config.yaml');
    const store = await open();
    await store.setEnabled(false);
    expect((await fs.stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(file, 'utf8')).toBe('version: 1\nenabled: false\nrules: []\n');
  });

  it('rejects a save based on a stale revision, leaving the file alone', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const changes = record(store);
    await editorSave(hubRule.replace('localhost:5000', 'localhost:5001'));
    await waitFor(() => changes.length > 0, 5000, 'the edit to be picked up');
    const onDisk = await fs.readFile(file, 'utf8');
    await expect(store.save(withEnabled(store.get().config, false), 1)).rejects.toThrow(
      'the config file changed on disk since you loaded it (you started from revision 1, it is now at 2): reload it and make your change again',
    );
    expect(await fs.readFile(file, 'utf8')).toBe(onDisk);
    expect(store.get().revision).toBe(2);
  });

  it('refuses to save over a file that is being edited and is invalid', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const changes = record(store);
    const broken = `${hubRule}  - from: quay.io\n`;
    await editorSave(broken);
    await waitFor(() => changes.length > 0, 5000, 'the invalid edit to be reported');
    await expect(store.setEnabled(false)).rejects.toThrow(
      `the config file has an error, and saving now would overwrite the edit in progress: ${file}:6: rules.1: needs either`,
    );
    expect(await fs.readFile(file, 'utf8')).toBe(broken);
  });

  it('replaces an invalid file with the rules given, only when asked and only while it is invalid', async () => {
    const broken = 'version: 1\nrules:\n  - from: docker.io\n    to: https://mirror.example\n';
    await fs.writeFile(file, broken);
    const store = await ConfigStore.open(file, { allowInvalid: true });
    stores.push(store);
    expect(store.get()).toMatchObject({ config: { rules: [] }, error: { line: 4 } });
    const rules = configSchema.parse({ version: 1, rules: [{ from: 'docker.io', to: 'mirror.example' }] }).rules;
    const replaced = await store.replaceInvalidFile(rules);
    expect(replaced.error).toBeUndefined();
    expect(replaced.config.rules).toEqual(rules);
    const reread = await ConfigStore.open(file);
    stores.push(reread);
    expect(reread.get().config.rules).toEqual(rules);
    await expect(store.replaceInvalidFile([])).rejects.toThrow('the config file is valid now, so it was not replaced: save your rules instead');
    expect(store.get().config.rules).toEqual(rules);
  });

  it('refuses an invalid config, naming the field', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const invalid = { ...store.get().config, rules: [{ from: 'ubuntu', enabled: true, block: 'no' }] };
    await expect(store.save(invalid, 1)).rejects.toThrow(
      'the config was not saved because it is invalid: rules.0.from: starts with "ubuntu", which is not a registry domain',
    );
    expect(await fs.readFile(file, 'utf8')).toBe(hubRule);
    expect(store.get().revision).toBe(1);
  });

  it('switches one rule on and off, and rejects a rule number that does not exist', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const state = await store.setRuleEnabled(0, false);
    expect(state.config.rules[0]?.enabled).toBe(false);
    expect(await fs.readFile(file, 'utf8')).toContain('    to: localhost:5000\n    enabled: false\n');
    await expect(store.setRuleEnabled(3, true)).rejects.toThrow('there is no rule number 3: the config has 1 rules, numbered from 0');
  });

  it('runs saves one after another, so the second sees the first', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const [first, second] = await Promise.all([store.setEnabled(false), store.setRuleEnabled(0, false)]);
    expect(first.revision).toBe(2);
    expect(second.revision).toBe(3);
    expect(second.config.enabled).toBe(false);
    const reopened = await ConfigStore.open(file);
    stores.push(reopened);
    expect(reopened.get().config).toEqual(second.config);
  });

  it('does not write when nothing changed', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const state = await store.save(store.get().config, 1);
    expect(state.revision).toBe(1);
    expect(await fs.readFile(file, 'utf8')).toBe(hubRule);
  });
});

describe('closing', () => {
  it('stops taking in edits once closed', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const changes = record(store);
    const checks = recordChecks(store);
    // Opened later on the same file: its watcher hears the edit after the closed store's would have.
    const later = await open();
    const barrier = record(later);
    store.close();
    await editorSave(hubRule.replace('localhost:5000', 'localhost:5001'));
    await waitFor(() => barrier.length > 0, 5000, 'the edit to reach the open store');
    expect(checks).toEqual([]);
    expect(changes).toHaveLength(0);
    expect(store.get().config.rules[0]).toMatchObject({ to: ['localhost:5000'] });
  });

  it('lets a listener unsubscribe', async () => {
    await fs.writeFile(file, hubRule);
    const store = await open();
    const changes: ConfigState[] = [];
    const unsubscribe = store.onChange((state) => changes.push(state));
    unsubscribe();
    await store.setEnabled(false);
    expect(changes).toHaveLength(0);
  });
});
