import type { MenuItemConstructorOptions } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { configSchema } from '#shared/config/schema';
import type { LogEntry } from '#shared/log';
import { notifyPulls, pullNotification } from '../../main/shell/notifications';
import { PullHistory } from '../../main/shell/pull-history';
import { TrayController } from '../../main/shell/tray-controller';
import { trayIconFile, trayIconState, trayTooltip } from '../../main/shell/tray-icon';
import { trayMenu, type TrayCommands, type TrayState } from '../../main/shell/tray-menu';
import { FakeEngine, fakeStatus, pullDetail } from '../harness/fake-engine';

const rules = configSchema.parse({
  version: 1,
  rules: [
    { from: 'docker.io/library', to: ['localhost:5000', 'mirror.example.com/hub'] },
    { from: 'ghcr.io', to: 'ghcr-mirror.example.com', enabled: false, name: 'GitHub & co' },
    { from: 'quay.io', block: 'quay.io is not allowed here' },
  ],
}).rules;

function commands(): TrayCommands & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  const record = (name: string) => (...args: unknown[]) => {
    calls.push([name, ...args]);
  };
  return {
    calls,
    setEnabled: record('setEnabled'),
    setRuleEnabled: record('setRuleEnabled'),
    openView: record('openView'),
    useDockerContext: record('useDockerContext'),
    setStartAtLogin: record('setStartAtLogin'),
    setNotifications: record('setNotifications'),
    setCacheEnabled: record('setCacheEnabled'),
    clearCache: record('clearCache'),
    quit: record('quit'),
  };
}

function state(overrides: Partial<TrayState> = {}): TrayState {
  return { status: fakeStatus(), rules, recentPulls: [], pullsRedirectedToday: 0, dockerContextActive: false, startAtLogin: false, notifications: true, cacheEnabled: true, ...overrides };
}

const labels = (menu: MenuItemConstructorOptions[]) => menu.map((item) => (item.type === 'separator' ? '---' : item.label));
const item = (menu: MenuItemConstructorOptions[], label: string | RegExp) => {
  const found = menu.find((i) => (typeof label === 'string' ? i.label === label : label.test(i.label ?? '')));
  if (!found) throw new Error(`no menu item ${label} in ${JSON.stringify(labels(menu))}`);
  return found;
};
const click = (menuItem: MenuItemConstructorOptions) => (menuItem.click as () => void)();

describe('tray menu', () => {
  it('lists status, the master switch, each rule, the windows, docker context, login and quit, in that order', () => {
    expect(labels(trayMenu(state({ pullsRedirectedToday: 3 }), commands()))).toEqual([
      'Listening at /run/user/1000/docker-caching/docker.sock',
      'Engine at unix:///var/run/docker.sock (Docker 20.10.24)',
      '3 pulls redirected today',
      '---',
      'Redirect pulls',
      'Rules',
      'docker.io/library → localhost:5000, mirror.example.com/hub',
      'GitHub && co (ghcr.io → ghcr-mirror.example.com)',
      'quay.io: blocked',
      'Local cache',
      '---',
      'Open Inspector',
      'Edit Rules…',
      '---',
      'Use docker-caching for docker commands',
      'Notify when a pull falls back or fails',
      'Start at login',
      '---',
      'Quit docker-caching',
    ]);
  });

  it('shows status lines as text, not as clickable items', () => {
    const menu = trayMenu(state(), commands());
    for (const line of menu.slice(0, 3)) expect(line.enabled).toBe(false);
  });

  it('toggles the master switch and each rule with what the click should set', () => {
    const cmds = commands();
    const menu = trayMenu(state(), cmds);
    expect(item(menu, 'Redirect pulls')).toMatchObject({ type: 'checkbox', checked: true });
    click(item(menu, 'Redirect pulls'));
    click(item(menu, /^docker\.io\/library/));
    click(item(menu, /^GitHub/));
    expect(item(menu, /^GitHub/).checked).toBe(false);
    expect(cmds.calls).toEqual([['setEnabled', false], ['setRuleEnabled', 0, false], ['setRuleEnabled', 1, true]]);

    const paused = trayMenu(state({ status: fakeStatus({ enabled: false }) }), cmds);
    expect(item(paused, 'Redirect pulls').checked).toBe(false);
    click(item(paused, 'Redirect pulls'));
    expect(cmds.calls.at(-1)).toEqual(['setEnabled', true]);
  });

  it('opens the inspector and the rule editor, and quits', () => {
    const cmds = commands();
    const menu = trayMenu(state(), cmds);
    click(item(menu, 'Open Inspector'));
    click(item(menu, 'Edit Rules…'));
    click(item(menu, 'Quit docker-caching'));
    expect(cmds.calls).toEqual([['openView', 'inspector'], ['openView', 'rules'], ['quit']]);
  });

  it('says what went wrong when the socket, the engine or the config is broken', () => {
    const broken = fakeStatus({
      listening: null,
      listenError: 'another docker-caching is already listening at /run/x.sock',
      upstream: { address: 'unix:///var/run/docker.sock', healthy: false, error: 'connection refused' },
      configError: { file: '/home/u/.config/docker-caching/config.yaml', line: 4, message: 'rules.0.to: must be a registry location' },
    });
    expect(labels(trayMenu(state({ status: broken }), commands())).slice(0, 4)).toEqual([
      'Not listening: another docker-caching is already listening at /run/x.sock',
      'Engine unreachable at unix:///var/run/docker.sock: connection refused',
      'Config error in /home/u/.config/docker-caching/config.yaml:4: rules.0.to: must be a registry location',
      'No pulls redirected today',
    ]);
  });

  it('lists the last pulls with where each came from, and opens the inspector on click', () => {
    const cmds = commands();
    const menu = trayMenu(state({
      pullsRedirectedToday: 1,
      recentPulls: [
        { seq: 4, image: 'ubuntu:18.04', action: 'redirected', source: 'localhost:5000/library/ubuntu:18.04' },
        { seq: 3, image: 'alpine', action: 'fell back', source: 'docker.io/library/alpine:latest' },
        { seq: 2, image: 'quay.io/x/y', action: 'blocked' },
        { seq: 1, image: 'ghcr.io/a/b:1', action: 'passed', source: 'ghcr.io/a/b:1' },
      ],
    }), cmds);
    const all = labels(menu);
    expect(all).toContain('1 pull redirected today');
    expect(all.slice(all.indexOf('Recent pulls'), all.indexOf('Recent pulls') + 5)).toEqual([
      'Recent pulls',
      'ubuntu:18.04: from localhost:5000',
      'alpine: fell back to docker.io',
      'quay.io/x/y: blocked by a rule',
      'ghcr.io/a/b:1: from ghcr.io, no rule',
    ]);
    click(item(menu, 'alpine: fell back to docker.io'));
    expect(cmds.calls).toEqual([['openView', 'inspector']]);
  });

  it('invites to add a rule when there is none', () => {
    expect(labels(trayMenu(state({ rules: [] }), commands()))).toContain('No rules yet: add one in Edit Rules…');
  });

  it('switches docker commands to the proxy only while it listens, and always back', () => {
    const cmds = commands();
    const label = 'Use docker-caching for docker commands';
    click(item(trayMenu(state(), cmds), label));
    const notListening = fakeStatus({ listening: null });
    expect(item(trayMenu(state({ status: notListening }), cmds), label).enabled).toBe(false);
    const active = trayMenu(state({ status: notListening, dockerContextActive: true }), cmds);
    expect(item(active, label)).toMatchObject({ checked: true, enabled: true });
    click(item(active, label));
    expect(cmds.calls).toEqual([['useDockerContext', true], ['useDockerContext', false]]);
  });

  it('switches pull notifications, showing the config\'s setting', () => {
    const cmds = commands();
    const label = 'Notify when a pull falls back or fails';
    expect(item(trayMenu(state({ notifications: false }), cmds), label)).toMatchObject({ type: 'checkbox', checked: false });
    click(item(trayMenu(state({ notifications: true }), cmds), label));
    expect(cmds.calls).toEqual([['setNotifications', false]]);
  });

  it('offers start at login where it can be set, greyed out where it cannot', () => {
    const cmds = commands();
    click(item(trayMenu(state({ startAtLogin: true }), cmds), 'Start at login'));
    expect(cmds.calls).toEqual([['setStartAtLogin', false]]);
    expect(item(trayMenu(state({ startAtLogin: null }), cmds), /^Start at login/)).toMatchObject({ enabled: false, checked: false });
  });
});

describe('tray local cache', () => {
  const cache = {
    enabled: true,
    maxSizeBytes: 20e9,
    totalBytes: 3 * 2 ** 30,
    registries: [
      { registry: 'docker.io', port: 5050, state: 'running' as const, container: 'docker-caching-cache-docker.io', sizeBytes: 3 * 2 ** 30, remote: 'https://registry-1.docker.io' },
      { registry: 'ghcr.io', port: 5051, state: 'not started' as const, container: null, sizeBytes: null, remote: 'https://ghcr.io' },
      { registry: 'quay.io', port: 5052, state: 'error' as const, container: null, sizeBytes: 0, remote: 'https://quay.io', error: 'the cache image registry:2 is not on the engine' },
    ],
  };
  const submenu = (menu: MenuItemConstructorOptions[], label: RegExp) => item(menu, label).submenu as MenuItemConstructorOptions[];

  it('shows on/off, the size against maxSize, each registry\'s state and Clear cache', () => {
    const menu = trayMenu(state({ status: fakeStatus({ cache }) }), commands());
    expect(item(menu, /^Local cache/).label).toBe('Local cache (error)');
    expect(labels(submenu(menu, /^Local cache/))).toEqual([
      'Cache pulls locally',
      '---',
      '3.0 GB of 18.6 GB used',
      'docker.io: running, 3.0 GB',
      'ghcr.io: not started',
      'quay.io: error: the cache image registry:2 is not on the engine',
      '---',
      'Clear cache',
    ]);
    expect(item(submenu(menu, /^Local cache/), 'docker.io: running, 3.0 GB').enabled).toBe(false);
  });

  it('says while a registry\'s cache evicts, and where pulls go meanwhile', () => {
    const evicting = { ...cache, registries: [{ ...cache.registries[0]!, state: 'stopped' as const, evicting: 'library/alpine' }] };
    const menu = trayMenu(state({ status: fakeStatus({ cache: evicting }) }), commands());
    expect(labels(submenu(menu, /^Local cache/))).toContain('docker.io: evicting library/alpine (pulls go to the original meanwhile), 3.0 GB');
  });

  it('switches the cache with what the click should set, and clears it', () => {
    const cmds = commands();
    click(item(submenu(trayMenu(state({ status: fakeStatus({ cache }) }), cmds), /^Local cache/), 'Cache pulls locally'));
    const off = trayMenu(state({ status: fakeStatus({ cache }), cacheEnabled: false }), cmds);
    expect(item(off, /^Local cache/).label).toBe('Local cache (off) (error)');
    click(item(submenu(off, /^Local cache/), 'Cache pulls locally'));
    click(item(submenu(off, /^Local cache/), 'Clear cache'));
    expect(cmds.calls).toEqual([['setCacheEnabled', false], ['setCacheEnabled', true], ['clearCache']]);
  });

  it('says so before the state was read, with nothing to clear', () => {
    const menu = submenu(trayMenu(state(), commands()), /^Local cache/);
    expect(labels(menu)).toContain('State not read yet');
    expect(item(menu, 'Clear cache').enabled).toBe(false);
  });
});

describe('tray icon', () => {
  it('is on, off (paused) or error (socket, engine or config unusable)', () => {
    expect(trayIconState(fakeStatus())).toBe('on');
    expect(trayIconState(fakeStatus({ enabled: false }))).toBe('off');
    expect(trayIconState(fakeStatus({ listening: null }))).toBe('error');
    expect(trayIconState(fakeStatus({ enabled: false, upstream: { address: 'unix:///x', healthy: false } }))).toBe('error');
    expect(trayIconState(fakeStatus({ configError: { file: 'c.yaml', message: 'bad' } }))).toBe('error');
  });

  it('uses template images on macOS, the light glyph on Linux panels, the theme on Windows', () => {
    expect(trayIconFile('on', 'darwin', true)).toBe('tray-onTemplate.png');
    expect(trayIconFile('error', 'darwin', false)).toBe('tray-errorTemplate.png');
    expect(trayIconFile('off', 'linux', false)).toBe('tray-offDark.png');
    expect(trayIconFile('on', 'win32', false)).toBe('tray-onLight.png');
    expect(trayIconFile('on', 'win32', true)).toBe('tray-onDark.png');
  });

  it('says in the tooltip what is happening', () => {
    expect(trayTooltip(fakeStatus())).toBe('docker-caching: redirecting pulls');
    expect(trayTooltip(fakeStatus({ enabled: false }))).toBe('docker-caching: redirection paused');
    expect(trayTooltip(fakeStatus({ listening: null, listenError: 'address in use' }))).toBe('docker-caching: not listening (address in use)');
  });
});

function finishedPull(seq: number, action: LogEntry['action'], time: number, extra: Partial<LogEntry> = {}): LogEntry {
  return { ...pullDetail('ubuntu:18.04', { action, time }), seq, ...extra } as LogEntry;
}

describe('pull history', () => {
  const noon = new Date(2026, 10, 28, 12).getTime();
  const tomorrow = new Date(2026, 10, 29, 9).getTime();

  it('counts pulls redirected today, once each, and starts again the next day', () => {
    const history = new PullHistory();
    history.record(finishedPull(1, 'redirected', noon));
    history.record(finishedPull(1, 'redirected', noon));
    history.record(finishedPull(2, 'fell back', noon));
    history.record(finishedPull(3, 'redirected', noon));
    expect(history.redirectedToday(noon + 1000)).toBe(2);
    expect(history.redirectedToday(tomorrow)).toBe(0);
    history.record(finishedPull(4, 'redirected', tomorrow));
    expect(history.redirectedToday(tomorrow)).toBe(1);
  });

  it('keeps the last few finished pulls, newest first, and ignores the rest', () => {
    const history = new PullHistory(3);
    for (let seq = 1; seq <= 5; seq++) history.record(finishedPull(seq, 'redirected', noon));
    history.record(finishedPull(6, 'redirected', noon, { pending: true }));
    history.record({ ...finishedPull(7, 'passed', noon), route: 'list images' });
    expect(history.recent().map((p) => p.seq)).toEqual([5, 4, 3]);
  });
});

describe('pull notifications', () => {
  const rule = { index: 0, from: 'docker.io/library' };
  const base = (action: LogEntry['action'], extra: Partial<LogEntry> = {}) => ({ ...pullDetail('ubuntu:18.04', { action, ...extra }), seq: 1 }) as LogEntry;

  it('explains a fall-back with each mirror failure and where the image came from', () => {
    const entry = base('fell back', {
      rewrite: {
        original: 'docker.io/library/ubuntu:18.04', rule, action: 'mirror', retag: [], untag: [],
        source: 'docker.io/library/ubuntu:18.04',
        candidates: [
          { ref: 'localhost:5000/ubuntu:18.04', kind: 'mirror', outcome: 'failed', reason: 'connection refused', startedMs: 0, durationMs: 3 },
          { ref: 'docker.io/library/ubuntu:18.04', kind: 'original', outcome: 'ok', startedMs: 3, durationMs: 900 },
        ],
      },
    });
    expect(pullNotification(entry)).toEqual({
      title: 'ubuntu:18.04 came from the original registry',
      body: 'Rule docker.io/library: every mirror failed (localhost:5000/ubuntu:18.04: connection refused). Pulled docker.io/library/ubuntu:18.04 instead.',
    });
  });

  it('says why a pull failed or was blocked, naming the rule', () => {
    const trace = { original: 'docker.io/library/ubuntu:18.04', action: 'mirror' as const, candidates: [], retag: [], untag: [] };
    expect(pullNotification(base('failed', { error: 'manifest unknown on every mirror', rewrite: { ...trace, rule: { ...rule, name: 'hub' } } }))).toEqual({
      title: 'Pull of ubuntu:18.04 failed',
      body: 'Rule "hub" (docker.io/library): manifest unknown on every mirror',
    });
    expect(pullNotification(base('blocked', { error: 'quay.io is not allowed', rewrite: { ...trace, action: 'block', rule } }))?.title).toBe('Pull of ubuntu:18.04 blocked');
  });

  it('stays quiet for redirected pulls, pulls no rule touched and pulls still running', () => {
    const trace = { original: 'docker.io/library/ubuntu:18.04', action: 'mirror' as const, candidates: [], retag: [], untag: [], rule };
    expect(pullNotification(base('redirected', { rewrite: trace }))).toBeNull();
    expect(pullNotification(base('failed', { error: 'no such image' }))).toBeNull();
    expect(pullNotification(base('fell back', { rewrite: trace, pending: true }))).toBeNull();
  });

  it('notifies from the live log only while the config switch is on', async () => {
    const engine = new FakeEngine();
    const shown: string[] = [];
    const off = notifyPulls(engine, (n) => shown.push(n.title));
    const trace = { original: 'docker.io/library/ubuntu:18.04', action: 'mirror' as const, candidates: [], retag: [], untag: [], rule };
    const entry = engine.logs.begin(pullDetail('ubuntu:18.04', { pending: true, action: 'failed', error: 'boom', rewrite: trace }));
    expect(shown).toEqual([]);
    engine.logs.end(entry);
    expect(shown).toEqual(['Pull of ubuntu:18.04 failed']);
    engine.config.replace({ ...engine.config.get().config, notifications: false });
    engine.logs.end(engine.logs.begin(pullDetail('alpine', { action: 'failed', rewrite: trace })));
    expect(shown).toHaveLength(1);
    off();
  });
});

describe('tray controller', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date(2026, 10, 28, 12) }));
  afterEach(() => vi.useRealTimers());

  function setup() {
    const engine = new FakeEngine({ config: configSchema.parse({ version: 1, rules: [{ from: 'docker.io/library', to: 'localhost:5000' }] }) });
    const tray = { setContextMenu: vi.fn(), setImage: vi.fn(), setToolTip: vi.fn() };
    const controller = new TrayController(engine, {
      tray,
      buildMenu: (template: MenuItemConstructorOptions[]) => ({ template }),
      iconPath: (s) => `/assets/tray/tray-${s}Dark.png`,
      commands: commands(),
      dockerContextActive: () => false,
      startAtLogin: () => null,
      debounceMs: 250,
    });
    const lastMenu = () => labels(tray.setContextMenu.mock.lastCall![0].template as MenuItemConstructorOptions[]);
    return { engine, tray, controller, lastMenu };
  }

  it('sets a menu, an icon and a tooltip at once', () => {
    const { tray, lastMenu } = setup();
    expect(tray.setContextMenu).toHaveBeenCalledOnce();
    expect(tray.setImage).toHaveBeenCalledWith('/assets/tray/tray-onDark.png');
    expect(tray.setToolTip).toHaveBeenCalledWith('docker-caching: redirecting pulls');
    expect(lastMenu()).toContain('docker.io/library → localhost:5000');
  });

  it('rebuilds and re-sets the whole menu once after a burst of changes', async () => {
    const { engine, tray, lastMenu } = setup();
    await engine.config.setEnabled(false);
    engine.setStatus({ enabled: false });
    await engine.config.setRuleEnabled(0, false);
    vi.advanceTimersByTime(249);
    expect(tray.setContextMenu).toHaveBeenCalledOnce();
    vi.advanceTimersByTime(1);
    expect(tray.setContextMenu).toHaveBeenCalledTimes(2);
    expect(tray.setImage).toHaveBeenLastCalledWith('/assets/tray/tray-offDark.png');
    expect(tray.setToolTip).toHaveBeenLastCalledWith('docker-caching: redirection paused');
    expect(lastMenu()).toContain('docker.io/library → localhost:5000');
  });

  it('shows finished pulls and today\'s count, and does not reset an unchanged icon', () => {
    const { engine, tray, lastMenu } = setup();
    const pull = engine.logs.begin(pullDetail('ubuntu:18.04', { pending: true, time: Date.now(), rewrite: { original: 'docker.io/library/ubuntu:18.04', action: 'mirror', candidates: [], retag: [], untag: [], source: 'localhost:5000/ubuntu:18.04' } }));
    vi.advanceTimersByTime(1000);
    expect(tray.setContextMenu).toHaveBeenCalledOnce();
    engine.logs.end(pull);
    vi.advanceTimersByTime(250);
    expect(lastMenu()).toEqual(expect.arrayContaining(['1 pull redirected today', 'Recent pulls', 'ubuntu:18.04: from localhost:5000']));
    expect(tray.setImage).toHaveBeenCalledOnce();
  });

  it('stops following the engine when disposed', async () => {
    const { engine, tray, controller } = setup();
    controller.dispose();
    await engine.config.setEnabled(false);
    vi.advanceTimersByTime(1000);
    expect(tray.setContextMenu).toHaveBeenCalledOnce();
  });
});
