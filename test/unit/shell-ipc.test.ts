import { describe, expect, it, vi } from 'vitest';
import { invokeChannels } from '#shared/ipc';
import { engineHandlers, type DesktopServices } from '../../main/shell/ipc-handlers';
import { registerIpc, type InvokeEvent, type IpcMainLike } from '../../main/shell/register-ipc';
import { isAppUrl } from '../../main/shell/security';
import { FakeEngine, logDetail } from '../harness/fake-engine';
import { startEngine } from '../../main/engine/start';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** ipcMain as a map of handlers, with an invoke() that plays the renderer (Rancher Desktop's fake). */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: InvokeEvent, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => Promise<unknown>): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  invoke(channel: string, from: string | null, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler({ senderFrame: from === null ? null : { url: from } }, ...args);
  }
}

const page = 'app://docker-caching/index.html#inspector';

const fakeDesktop = () => ({
  openExternal: vi.fn(async () => {}), copyText: vi.fn(), logsCleared: vi.fn(),
  openPath: vi.fn(async (_path: string) => ''), showItemInFolder: vi.fn(), useDockerContext: vi.fn((_on: boolean): string | undefined => undefined),
}) satisfies DesktopServices;

function setup() {
  const engine = new FakeEngine();
  const desktop = fakeDesktop();
  const ipc = new FakeIpcMain();
  const unregister = registerIpc(ipc, engineHandlers(engine, desktop), (url) => isAppUrl(url));
  return { engine, desktop, ipc, unregister };
}

describe('IPC registration', () => {
  it('registers exactly the contract channels and removes them all again', () => {
    const { ipc, unregister } = setup();
    expect([...ipc.handlers.keys()].sort()).toEqual(Object.keys(invokeChannels).sort());
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });

  it('answers a valid request in the ok envelope', async () => {
    const { ipc, engine } = setup();
    expect(await ipc.invoke('status.get', page)).toEqual({ ok: true, value: engine.status() });
    expect(await ipc.invoke('config.setEnabled', page, false)).toMatchObject({ ok: true, value: { config: { enabled: false }, revision: 2 } });
    expect(engine.config.get().config.enabled).toBe(false);
  });

  it('refuses a payload the schema rejects, naming the field, without calling the engine', async () => {
    const { ipc, engine } = setup();
    const save = vi.spyOn(engine.config, 'save');
    const bad = { version: 1, rules: [{ from: 'docker.io/library', to: ['not a mirror!'] }] };
    const reply = (await ipc.invoke('config.save', page, { config: bad, baseRevision: 1 })) as { ok: boolean; error: string };
    expect(reply.ok).toBe(false);
    expect(reply.error).toMatch(/^invalid request for config\.save: config\.rules\.0/);
    expect(reply.error).toMatch(/registry location/);
    expect(save).not.toHaveBeenCalled();
    expect(await ipc.invoke('config.setEnabled', page, 'yes')).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid request for config\.setEnabled: /) });
    expect(await ipc.invoke('logs.detail', page, -1)).toMatchObject({ ok: false });
    expect(await ipc.invoke('config.setEnabled', page, true, 'extra')).toEqual({ ok: false, error: 'invalid request for config.setEnabled: expected one argument, got 2' });
    expect(engine.config.get().revision).toBe(1);
  });

  it('refuses callers that are not our own pages', async () => {
    const { ipc, engine } = setup();
    const setEnabled = vi.spyOn(engine.config, 'setEnabled');
    for (const from of ['https://evil.example/', 'file:///etc/passwd', 'app://other-host/index.html', 'about:blank', '']) {
      const reply = (await ipc.invoke('config.setEnabled', from, false)) as { ok: boolean; error: string };
      expect(reply).toEqual({ ok: false, error: expect.stringMatching(/^refused config\.setEnabled from .*only docker-caching's own pages may call it$/) });
    }
    expect(await ipc.invoke('config.setEnabled', null, false)).toEqual({ ok: false, error: 'refused config.setEnabled: the page that asked is gone' });
    expect(setEnabled).not.toHaveBeenCalled();
  });

  it('turns a handler failure into an error sentence, never a stack trace', async () => {
    const { ipc } = setup();
    const reply = (await ipc.invoke('config.save', page, { config: { version: 1 }, baseRevision: 7 })) as { ok: boolean; error: string };
    expect(reply).toEqual({ ok: false, error: 'the config changed since you loaded it (revision 1, yours 7): reload it, then save again' });
    expect(reply.error).not.toMatch(/\n\s+at /);
  });

  it('passes every channel through to the engine and desktop services', async () => {
    const { ipc, engine, desktop } = setup();
    engine.logs.begin(logDetail());
    engine.logs.begin(logDetail({ route: 'version', path: '/v1.41/version' }));
    const snap = (await ipc.invoke('logs.snapshot', page, { limit: 1 })) as { ok: true; value: { entries: { seq: number }[]; lastSeq: number } };
    expect(snap.value.entries.map((e) => e.seq)).toEqual([2]);
    expect(snap.value.lastSeq).toBe(2);
    expect(await ipc.invoke('logs.snapshot', page)).toMatchObject({ ok: true, value: { entries: [{ seq: 1 }, { seq: 2 }], dropped: 0 } });
    expect(await ipc.invoke('logs.detail', page, 1)).toMatchObject({ ok: true, value: { seq: 1, requestHeaders: [['user-agent', 'Docker-Client/28.0.0']] } });
    expect(await ipc.invoke('logs.detail', page, 99)).toEqual({ ok: true, value: null });
    expect(await ipc.invoke('rules.draft', page, { mirrors: ['localhost:5000'] })).toEqual({ ok: true });
    expect(await ipc.invoke('mirror.check', page, { location: 'localhost:5000' })).toMatchObject({ ok: true, value: { state: 'reachable' } });
    expect(await ipc.invoke('config.setRuleEnabled', page, { index: 0, enabled: false })).toMatchObject({ ok: false, error: /no rule number 1/ });
    expect(await ipc.invoke('config.get', page)).toMatchObject({ ok: true, value: { revision: 1 } });
    expect(await ipc.invoke('app.copyText', page, 'unix:///tmp/x.sock')).toEqual({ ok: true });
    expect(desktop.copyText).toHaveBeenCalledWith('unix:///tmp/x.sock');
    expect(await ipc.invoke('logs.clear', page)).toEqual({ ok: true });
    expect(desktop.logsCleared).toHaveBeenCalledOnce();
    expect(engine.logs.snapshot()).toEqual([]);
  });

  it('opens allow-listed https links in the browser and refuses the rest', async () => {
    const { ipc, desktop } = setup();
    expect(await ipc.invoke('app.openExternal', page, 'https://docs.docker.com/engine/api/')).toEqual({ ok: true });
    expect(desktop.openExternal).toHaveBeenCalledWith('https://docs.docker.com/engine/api/');
    const refused = (await ipc.invoke('app.openExternal', page, 'https://evil.example/')) as { ok: boolean; error: string };
    expect(refused.error).toMatch(/only opens https links to github\.com.*https:\/\/evil\.example\/ is not one of them/);
    expect(await ipc.invoke('app.openExternal', page, 'http://github.com/')).toMatchObject({ ok: false });
    expect(desktop.openExternal).toHaveBeenCalledTimes(1);
  });

  it('opens and shows the config file main knows, and takes no path from the page', async () => {
    const { ipc, engine, desktop } = setup();
    const path = engine.config.get().path;
    expect(await ipc.invoke('config.openFile', page)).toEqual({ ok: true });
    expect(desktop.openPath).toHaveBeenCalledWith(path);
    expect(await ipc.invoke('config.showInFolder', page)).toEqual({ ok: true });
    expect(desktop.showItemInFolder).toHaveBeenCalledWith(path);
    expect(await ipc.invoke('config.openFile', page, '/etc/shadow')).toMatchObject({ ok: false, error: /^invalid request for config\.openFile/ });
    expect(desktop.openPath).toHaveBeenCalledTimes(1);
    desktop.openPath.mockResolvedValueOnce('No application is registered for this file');
    expect(await ipc.invoke('config.openFile', page)).toEqual({ ok: false, error: `could not open ${path}: No application is registered for this file` });
  });

  it('replaces the config file only while it is invalid, with rules the schema accepts', async () => {
    const { ipc, engine } = setup();
    const rules = [{ from: 'docker.io', to: ['localhost:5000'] }];
    expect(await ipc.invoke('config.replaceInvalidFile', page, { rules })).toEqual({ ok: false, error: 'the config file is valid now, so it was not replaced: save your rules instead' });
    engine.config.breakFile({ file: engine.config.get().path, line: 3, message: 'rules.0.to: must be a registry location' });
    expect(await ipc.invoke('config.replaceInvalidFile', page, { rules: [{ from: 'docker.io', to: ['https://x'] }] })).toMatchObject({ ok: false, error: /^invalid request for config\.replaceInvalidFile: rules\.0/ });
    expect(await ipc.invoke('config.replaceInvalidFile', page, { rules, upstream: 'tcp://evil:2375' })).toMatchObject({ ok: false, error: /^invalid request/ });
    const reply = (await ipc.invoke('config.replaceInvalidFile', page, { rules })) as { ok: true; value: { config: { rules: unknown[] }; error?: unknown } };
    expect(reply.ok).toBe(true);
    expect(reply.value.error).toBeUndefined();
    expect(reply.value.config.rules).toMatchObject([{ from: 'docker.io', to: ['localhost:5000'] }]);
  });

  it('asks the engine again on Retry and switches the docker context, saying why it could not', async () => {
    const { ipc, engine, desktop } = setup();
    expect(await ipc.invoke('engine.retry', page)).toEqual({ ok: true, value: engine.status() });
    expect(engine.upstreamRechecks).toBe(1);
    expect(await ipc.invoke('dockerContext.set', page, true)).toEqual({ ok: true, value: engine.status() });
    expect(desktop.useDockerContext).toHaveBeenCalledWith(true);
    expect(await ipc.invoke('dockerContext.set', page, 'on')).toMatchObject({ ok: false });
    desktop.useDockerContext.mockReturnValueOnce('cannot point docker commands at docker-caching: the proxy is not listening');
    expect(await ipc.invoke('dockerContext.set', page, true)).toEqual({ ok: false, error: 'cannot point docker commands at docker-caching: the proxy is not listening' });
  });
});

describe('what the renderer can reach (a real engine, config file and socket)', () => {
  async function realSetup(config: string) {
    const home = mkdtempSync(join(tmpdir(), 'dc-reach-'));
    const configPath = join(home, 'config.yaml');
    writeFileSync(configPath, config);
    const engine = await startEngine({ configPath, listen: join(home, 'd.sock'), upstream: `unix://${join(home, 'no-engine.sock')}`, env: {}, home });
    const ipc = new FakeIpcMain();
    registerIpc(ipc, engineHandlers(engine, fakeDesktop()), (url) => isAppUrl(url));
    return {
      engine, ipc, configPath,
      async close() {
        await engine.stop();
        rmSync(home, { recursive: true, force: true });
      },
    };
  }

  it('config.save may change rules, enabled, notifications and cache, never upstream, listen or group: main refuses and the file stays', async () => {
    const original = 'version: 1\nupstream: tcp://127.0.0.1:2375\nlisten: /tmp/x.sock\nrules: []\n';
    const r = await realSetup(original);
    try {
      const { config, revision } = r.engine.config.get();
      for (const [field, value] of [['upstream', 'tcp://evil.example:2375'], ['listen', '/tmp/elsewhere.sock'], ['group', 'docker']] as const) {
        const reply = (await r.ipc.invoke('config.save', page, { config: { ...config, [field]: value }, baseRevision: revision })) as { ok: boolean; error: string };
        expect(reply).toEqual({ ok: false, error: `${field} can only be changed in the config file (${r.configPath}), not from the app; nothing was saved` });
      }
      expect(readFileSync(r.configPath, 'utf8')).toBe(original);
      expect(r.engine.config.get().config.upstream).toBe('tcp://127.0.0.1:2375');
      const allowed = { ...config, enabled: false, notifications: false, rules: [{ from: 'docker.io', to: ['localhost:5000'] }] };
      expect(await r.ipc.invoke('config.save', page, { config: allowed, baseRevision: revision })).toMatchObject({ ok: true, value: { config: { enabled: false, notifications: false } } });
      expect(readFileSync(r.configPath, 'utf8')).toContain('localhost:5000');
    } finally {
      await r.close();
    }
  });

  it('mirror.check probes only a location in the saved rules or in the draft main was told of', async () => {
    let connections = 0;
    const registry = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
    const location = `127.0.0.1:${(registry.address() as { port: number }).port}`;
    const r = await realSetup('version: 1\nrules:\n  - from: docker.io\n    to: 127.0.0.1:1\n');
    try {
      expect(await r.ipc.invoke('mirror.check', page, { location })).toEqual({
        ok: false, error: `${location} is not a mirror in the saved rules or in the rules being edited, so it is not checked: add it to a rule first`,
      });
      // Naming it with the check is not enough: the draft is what main holds.
      expect(await r.ipc.invoke('mirror.check', page, { location, draftMirrors: [location] })).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid request for mirror\.check: /) });
      expect(connections).toBe(0);
      expect(await r.ipc.invoke('rules.draft', page, { mirrors: [location] })).toEqual({ ok: true });
      expect(await r.ipc.invoke('mirror.check', page, { location })).toMatchObject({ ok: true, value: { location, state: 'unreachable' } });
      expect(connections).toBeGreaterThan(0);
      const seen = connections;
      // A newer draft without it: refused again, nothing probed.
      expect(await r.ipc.invoke('rules.draft', page, { mirrors: [] })).toEqual({ ok: true });
      expect(await r.ipc.invoke('mirror.check', page, { location })).toMatchObject({ ok: false, error: expect.stringContaining('is not a mirror in the saved rules') });
      expect(connections).toBe(seen);
      expect(await r.ipc.invoke('mirror.check', page, { location: '127.0.0.1:1' })).toMatchObject({ ok: true, value: { state: 'unreachable' } });
    } finally {
      await r.close();
      await new Promise((resolve) => registry.close(resolve));
    }
  });
});
