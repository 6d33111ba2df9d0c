// The built renderer end to end: the real preload bundle and IPC wiring (test/harness/bridge)
// over the real engine, proxying to the real dockerd and registries of the integration run.
// Pulls go through the proxy with the docker CLI; the page shows what happened, and rules
// edited in the page change what the next pull does. A newcomer's states too: an invalid file
// at start, an engine that does not answer, the docker context switched from the window.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startEngine, type RunningEngine } from '../../main/engine/start';
import { DockerContextSwitch } from '../../main/shell/docker-context-switch';
import { openApp, type OpenedApp } from '../harness/bridge';
import { DOCKER_CLIS, docker, importBusyboxImage } from '../harness/real-docker';
import { startServe } from '../harness/serve';
import { until } from '../harness/wait';
import { expectAccessible, screenshot } from './renderer-fixture';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Through the proxy, asynchronously: the engine runs in this process and must keep serving. */
const pullThrough = (socket: string, ref: string) =>
  promisify(execFile)(DOCKER_CLIS[0]!, ['pull', ref], { env: { ...process.env, DOCKER_HOST: `unix://${socket}` }, timeout: 60_000 })
    .then(() => 'pulled', (err: Error & { stderr?: string }) => `failed: ${err.stderr ?? err.message}`);

/** An image only the mirror registry has, as `docker.io/library/<name>:1` would be rewritten. */
function imageOnMirror(name: string): void {
  const host = inject('dockerHost');
  const mirror = inject('mirror');
  importBusyboxImage(host, `${mirror}/${name}:1`);
  docker(host, ['push', `${mirror}/${name}:1`]);
  docker(host, ['rmi', `${mirror}/${name}:1`]);
  cleanups.push(() => { docker(host, ['rmi', '-f', `${name}:1`, `${mirror}/${name}:1`]); });
}

async function engineWith(rules: string): Promise<{ engine: RunningEngine; configPath: string; socket: string }> {
  const home = mkdtempSync(join(tmpdir(), 'dc-renderer-e2e-'));
  const configPath = join(home, 'config.yaml');
  writeFileSync(configPath, `version: 1\nrules:\n${rules}`);
  const socket = join(home, 'docker-caching.sock');
  const engine = await startEngine({ configPath, listen: socket, upstream: inject('dockerHost'), env: {}, home });
  cleanups.push(() => engine.stop());
  return { engine, configPath, socket };
}

function tempHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'dc-renderer-e2e-'));
  cleanups.push(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

async function open(engine: RunningEngine, view: 'inspector' | 'rules' = 'inspector', options: Parameters<typeof openApp>[1] = {}): Promise<OpenedApp> {
  const app = await openApp(engine, { view, ...options });
  cleanups.push(() => app.close());
  await app.page.locator('.app').waitFor();
  return app;
}

const pullRow = (page: Page, name: string, action: string) =>
  page.locator('.list [role="row"][data-seq]', { hasText: `${name}:1` }).filter({ has: page.locator(`.badge-${action.replace(' ', '-')}`) });

describe('renderer on the real engine', () => {
  it('shows a pull through the proxy as redirected, with its request-line diff and trace', async () => {
    const mirror = inject('mirror');
    const name = `e2eredir${process.pid}`;
    imageOnMirror(name);
    const { engine, socket } = await engineWith(`  - from: docker.io/library\n    to: ${mirror}\n    fallback: false\n    name: local mirror\n`);
    const app = await open(engine);
    expect(await app.page.getByLabel('Proxy status').innerText()).toContain(socket);

    expect(await pullThrough(socket, `${name}:1`)).toBe('pulled');
    await app.delivered();
    const row = pullRow(app.page, name, 'redirected');
    await row.waitFor({ timeout: 30_000 });
    await row.click();
    const detail = app.page.getByRole('complementary', { name: 'Request detail' });
    const trace = detail.getByRole('region', { name: 'Rewrite trace' });
    await trace.waitFor();
    expect(await trace.innerText()).toContain(`docker.io/library/${name}:1`);
    expect(await trace.innerText()).toMatch(/#1 docker\.io\/library · local mirror/);
    expect(await trace.locator('.source').innerText()).toBe(`${mirror}/${name}:1`);
    expect(await trace.getByRole('list', { name: 'Candidates tried' }).innerText()).toMatch(/pulled/);
    await detail.getByRole('region', { name: 'Request headers' }).waitFor();
    expect(await detail.getByRole('region', { name: 'Request line' }).locator('ins').allInnerTexts()).toEqual([expect.stringContaining(mirror)]);
    await screenshot(app.page, 'inspector-real-engine');
    expect(app.errors).toEqual([]);
  });

  it('saves a rule edited in the editor and the next pull follows it', async () => {
    const mirror = inject('mirror');
    const name = `e2eedit${process.pid}`;
    imageOnMirror(name);
    // The rule first points at a mirror that does not exist, without fallback: the pull fails.
    const { engine, configPath, socket } = await engineWith(`  - from: docker.io/library\n    to: 127.0.0.1:9\n    fallback: false\n`);
    const app = await open(engine, 'rules');
    await app.page.getByRole('tab', { name: 'Rules', selected: true }).waitFor();

    expect(await pullThrough(socket, `${name}:1`)).toMatch(/^failed/);

    const form = app.page.locator('.rule-form');
    await form.getByLabel('Mirror 1 location').fill(mirror);
    await app.page.getByRole('button', { name: 'Save' }).click();
    await app.page.getByRole('status').filter({ hasText: 'Unsaved changes' }).waitFor({ state: 'detached' });
    expect(readFileSync(configPath, 'utf8')).toContain(mirror);
    expect(engine.config.get().config.rules[0]).toMatchObject({ to: [mirror] });

    expect(await pullThrough(socket, `${name}:1`)).toBe('pulled');
    await app.page.getByRole('tab', { name: 'Inspector' }).click();
    await app.delivered();
    await pullRow(app.page, name, 'redirected').waitFor({ timeout: 30_000 });
    expect(await pullRow(app.page, name, 'failed').count()).toBe(1);
    expect(app.errors).toEqual([]);
  });

  it('shows an invalid edit inline and leaves the file and the running rules alone', async () => {
    const mirror = inject('mirror');
    const { engine, configPath } = await engineWith(`  - from: docker.io/library\n    to: ${mirror}\n`);
    const before = readFileSync(configPath, 'utf8');
    const revision = engine.config.get().revision;
    const app = await open(engine, 'rules');
    const form = app.page.locator('.rule-form');
    await form.getByLabel('Mirror 1 location').fill(`http://${mirror}`);
    expect(await form.locator('.mirror-row .field-error').innerText()).toContain('must not start with http://');
    await app.page.getByRole('button', { name: 'Save' }).click();
    await app.page.getByText('Fix the problem before saving').waitFor();
    expect(readFileSync(configPath, 'utf8')).toBe(before);
    expect(engine.config.get().revision).toBe(revision);
    expect(engine.config.get().config.rules[0]).toMatchObject({ to: [mirror] });
    expect(app.errors).toEqual([]);
  });
});

describe('the newcomer\'s states on the real engine', () => {
  it('an invalid config file at start: told on both views with its line, opened through main, replaced after a confirmation, and the next pull follows the new rule', async () => {
    const mirror = inject('mirror');
    const name = `e2efix${process.pid}`;
    imageOnMirror(name);
    const home = tempHome();
    const configPath = join(home, 'config.yaml');
    writeFileSync(configPath, `version: 1\nrules:\n  - from: docker.io/library\n    to: https://${mirror}\n`);
    const socket = join(home, 'docker-caching.sock');
    const engine = await startEngine({ configPath, listen: socket, upstream: inject('dockerHost'), env: {}, home, keepRunningOnErrors: true });
    cleanups.push(() => engine.stop());
    const app = await open(engine);
    const problem = app.page.getByRole('alert').filter({ hasText: 'The config file has a problem' });
    await problem.waitFor();
    expect(await problem.innerText()).toContain(`${configPath}:4: rules.0.to: must not start with https://: write just the registry, such as ${mirror}`);
    expect(await problem.innerText()).toContain("None of the file's rules apply until this is fixed: pulls from docker.io, ghcr.io and 5 more go to the local cache");
    await problem.getByRole('button', { name: 'Open file' }).click();
    await problem.getByRole('button', { name: 'Show in folder' }).click();
    await until('main to open and show the file', () => app.openedPaths.length === 1 && app.shownInFolder.length === 1);
    expect(app.openedPaths).toEqual([configPath]);
    expect(app.shownInFolder).toEqual([configPath]);

    await app.page.getByRole('tab', { name: 'Rules' }).click();
    await app.page.getByText('No rules in force').waitFor();
    await app.page.getByRole('button', { name: 'Mirror rule' }).click();
    await app.page.keyboard.type('docker.io/library');
    await app.page.getByLabel('Mirror 1 location').fill(`https://${mirror}`);
    await app.page.getByRole('button', { name: `Use ${mirror}` }).click();
    await problem.getByRole('button', { name: 'Replace the file with these rules…' }).click();
    await problem.getByRole('button', { name: 'Replace the file' }).click();
    await problem.waitFor({ state: 'detached' });
    expect(engine.config.get().error).toBeUndefined();
    expect(readFileSync(configPath, 'utf8')).toContain(`to: ${mirror}`);

    expect(await pullThrough(socket, `${name}:1`)).toBe('pulled');
    await app.page.getByRole('tab', { name: 'Inspector' }).click();
    await pullRow(app.page, name, 'redirected').waitFor({ timeout: 30_000 });
    expect(await pullRow(app.page, name, 'redirected').locator('.cell-reason').innerText()).toBe(`${mirror} (mirror)`);
    expect(app.errors).toEqual([]);
  });

  it('an engine that does not answer: where and why in the alert, a pull that says so once, and Retry finds the engine back', async () => {
    const home = tempHome();
    const configPath = join(home, 'config.yaml');
    writeFileSync(configPath, `version: 1\nrules:\n  - from: docker.io/library\n    to: [${inject('mirror')}, mirror.invalid:5000]\n`);
    const upstream = join(home, 'engine.sock');
    const socket = join(home, 'docker-caching.sock');
    const engine = await startEngine({ configPath, listen: socket, upstream: `unix://${upstream}`, env: {}, home });
    cleanups.push(() => engine.stop());
    const app = await open(engine);
    const down = app.page.getByRole('alert').filter({ hasText: 'The Docker engine is not answering' });
    await down.waitFor();
    expect(await down.innerText()).toContain(`unix://${upstream}, which did not answer`);
    await expectAccessible(app.page, 'the real engine down');

    expect(await pullThrough(socket, 'ubuntu:18.04')).toMatch(/^failed: .*the Docker engine did not answer/s);
    const row = app.page.locator('.list [role="row"][data-seq]', { hasText: 'ubuntu:18.04' });
    await row.waitFor();
    expect(await row.locator('.cell-reason').innerText()).toBe('engine not answering');
    await row.click();
    await app.page.getByText('this is not a mirror failure', { exact: false }).waitFor();
    expect(await app.page.getByRole('list', { name: 'Candidates tried' }).count()).toBe(0);

    symlinkSync(inject('dockerSocket'), upstream);
    await down.getByRole('button', { name: 'Retry' }).click();
    await down.waitFor({ state: 'detached' });
    expect(engine.status().upstream.healthy).toBe(true);
    expect(app.errors).toEqual([]);
  });

  it('a socket held by another program: the alert says so, and goes once the other program stops and the socket is taken', async () => {
    const serve = await startServe({ upstream: inject('dockerHost') });
    let serveStopped = false;
    cleanups.push(async () => { if (!serveStopped) await serve.stop(); });
    const home = tempHome();
    const engine = await startEngine({ configPath: join(home, 'config.yaml'), listen: serve.socket, upstream: inject('dockerHost'), env: {}, home, keepRunningOnErrors: true });
    cleanups.push(() => engine.stop());
    const app = await open(engine);
    const held = app.page.getByRole('alert').filter({ hasText: 'docker-caching cannot listen on its socket' });
    await held.waitFor();
    expect(await held.innerText()).toContain(`already running at ${serve.socket}: another docker-caching (or another program) is listening there`);
    expect(await app.page.getByText('docker-caching is not listening yet: see the alert above.').count()).toBe(1);
    await serve.stop();
    serveStopped = true;
    // The engine tries the socket again every few seconds and tells the window when it has it.
    await held.waitFor({ state: 'detached', timeout: 20_000 });
    expect(engine.status().listening).toBe(serve.socket);
    await app.page.locator('.command-text', { hasText: `export DOCKER_HOST=unix://${serve.socket}` }).waitFor();
    expect(app.errors).toEqual([]);
  });

  it('switches docker commands to docker-caching from the window: the docker context changes and the checklist ticks', async () => {
    const home = tempHome();
    const configPath = join(home, 'config.yaml');
    const socket = join(home, 'docker-caching.sock');
    const engine = await startEngine({ configPath, listen: socket, upstream: inject('dockerHost'), env: {}, home });
    cleanups.push(() => engine.stop());
    const reports: string[] = [];
    const contexts = new DockerContextSwitch({ env: {}, home, configPath, listening: () => engine.status().listening, report: (m) => void reports.push(m) });
    cleanups.push(() => contexts.restoreOnQuit());
    const app = await open(engine, 'inspector', { useDockerContext: (on) => contexts.set(on) });
    const step = app.page.getByRole('region', { name: 'Get started' });
    await step.getByText('Use docker-caching for docker commands (to do)').waitFor();
    await step.getByRole('switch', { name: 'Use docker-caching for docker commands' }).click();
    await step.getByText('Use docker-caching for docker commands (done)').waitFor();
    expect(engine.status().dockerContextActive).toBe(true);
    const current = await promisify(execFile)(DOCKER_CLIS[0]!, ['context', 'show'], { env: { ...process.env, HOME: home, DOCKER_CONFIG: join(home, '.docker'), DOCKER_HOST: '', DOCKER_CONTEXT: '' } });
    expect(current.stdout.trim()).toBe('docker-caching');
    await step.getByRole('switch', { name: 'Use docker-caching for docker commands' }).click();
    await step.getByText('Use docker-caching for docker commands (to do)').waitFor();
    expect(reports).toEqual([]);
    expect(app.errors).toEqual([]);
  });
});
