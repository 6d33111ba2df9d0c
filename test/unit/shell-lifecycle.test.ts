import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentContextEndpoint } from '../../main/engine/upstream/docker-context';
import { DockerContextSwitch, launchContextAction } from '../../main/shell/docker-context-switch';
import { launchView, QuitSequence } from '../../main/shell/lifecycle';
import { autostartDesktopEntry, autostartFile, startAtLogin, type LoginItems } from '../../main/shell/start-at-login';

describe('launch', () => {
  it('opens the inspector, except when started at login with --hidden', () => {
    expect(launchView(['/opt/docker-caching/docker-caching'])).toBe('inspector');
    expect(launchView(['/opt/docker-caching/docker-caching', '--hidden'])).toBeNull();
  });
});

describe('quitting', () => {
  afterEach(() => vi.useRealTimers());

  function harness(steps: ConstructorParameters<typeof QuitSequence>[0], timeoutMs?: number) {
    const reports: string[] = [];
    const sequence = new QuitSequence(steps, (m) => reports.push(m), timeoutMs);
    const quit = vi.fn();
    const event = () => ({ preventDefault: vi.fn() });
    return { sequence, reports, quit, event };
  }

  it('holds the quit back until the docker context is restored and the engine stopped, in that order', async () => {
    const order: string[] = [];
    let finishStop!: () => void;
    const { sequence, quit, event } = harness([
      { name: 'restore the docker context', run: () => void order.push('restore context') },
      { name: 'stop the engine', run: () => new Promise<void>((resolve) => (finishStop = () => { order.push('engine stopped'); resolve(); })) },
    ]);
    expect(sequence.quitting).toBe(false);
    const first = event();
    sequence.beforeQuit(first, quit);
    expect(first.preventDefault).toHaveBeenCalled();
    expect(sequence.quitting).toBe(true);

    const again = event(); // a second Quit click while stopping
    sequence.beforeQuit(again, quit);
    expect(again.preventDefault).toHaveBeenCalled();
    await vi.waitFor(() => expect(order).toEqual(['restore context']));
    expect(quit).not.toHaveBeenCalled();

    finishStop();
    await vi.waitFor(() => expect(quit).toHaveBeenCalledOnce());
    expect(order).toEqual(['restore context', 'engine stopped']);
    const final = event();
    sequence.beforeQuit(final, quit);
    expect(final.preventDefault).not.toHaveBeenCalled();
  });

  it('runs every step even when one fails, and says what failed', async () => {
    const ran: string[] = [];
    const { sequence, quit, event, reports } = harness([
      { name: 'restore the docker context', run: () => { throw new Error('cannot write /home/u/.docker/config.json (EACCES)'); } },
      { name: 'stop the engine', run: async () => void ran.push('stop') },
    ]);
    sequence.beforeQuit(event(), quit);
    await vi.waitFor(() => expect(quit).toHaveBeenCalledOnce());
    expect(ran).toEqual(['stop']);
    expect(reports).toEqual(['could not restore the docker context while quitting: cannot write /home/u/.docker/config.json (EACCES)']);
  });

  it('quits anyway when a step hangs past the timeout', async () => {
    vi.useFakeTimers();
    const { sequence, quit, event, reports } = harness([{ name: 'stop the engine', run: () => new Promise<void>(() => {}) }], 5000);
    sequence.beforeQuit(event(), quit);
    await vi.advanceTimersByTimeAsync(4999);
    expect(quit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(quit).toHaveBeenCalledOnce();
    expect(reports).toEqual(['quitting without waiting longer: shutting down took over 5 s']);
  });
});

describe('start at login', () => {
  const home = () => mkdtempSync(join(tmpdir(), 'dc-login-'));
  const loginItems = (): LoginItems & { settings: { openAtLogin: boolean; args?: string[] } } => {
    const items = {
      settings: { openAtLogin: false } as { openAtLogin: boolean; args?: string[] },
      getLoginItemSettings: (options?: { args?: string[] }) => ({ openAtLogin: items.settings.openAtLogin && JSON.stringify(options?.args) === JSON.stringify(items.settings.args) }),
      setLoginItemSettings: (settings: { openAtLogin: boolean; args?: string[] }) => {
        items.settings = settings;
      },
    };
    return items;
  };

  it('writes and removes an XDG autostart entry on Linux that starts the app hidden', () => {
    const h = home();
    const login = startAtLogin({ platform: 'linux', packaged: true, loginItems: loginItems(), execPath: '/opt/docker-caching/docker-caching', env: {}, home: h });
    expect(login.get()).toBe(false);
    login.set(true);
    const file = join(h, '.config', 'autostart', 'docker-caching.desktop');
    expect(login.get()).toBe(true);
    expect(readFileSync(file, 'utf8')).toContain('\nExec=/opt/docker-caching/docker-caching --hidden\n');
    expect(statSync(file).mode & 0o777).toBe(0o644);
    login.set(false);
    expect(existsSync(file)).toBe(false);
    expect(login.get()).toBe(false);
  });

  it('launches the AppImage file itself, not its temporary mount, and honours XDG_CONFIG_HOME', () => {
    const h = home();
    const env = { APPIMAGE: '/home/u/Apps/docker caching.AppImage', XDG_CONFIG_HOME: join(h, 'xdg') };
    startAtLogin({ platform: 'linux', packaged: true, loginItems: loginItems(), execPath: '/tmp/.mount_abc/docker-caching', env, home: h }).set(true);
    expect(autostartFile(env, h)).toBe(join(h, 'xdg', 'autostart', 'docker-caching.desktop'));
    expect(readFileSync(autostartFile(env, h), 'utf8')).toContain('\nExec="/home/u/Apps/docker caching.AppImage" --hidden\n');
  });

  it('quotes and escapes Exec arguments as the Desktop Entry spec asks', () => {
    const entry = autostartDesktopEntry(['/opt/a "b"/$c\\d 100%', '--hidden']);
    expect(entry).toContain('Exec="/opt/a \\\\"b\\\\"/\\\\$c\\\\\\\\d 100%%" --hidden');
    expect(entry).toMatch(/^\[Desktop Entry\]\nType=Application\nName=docker-caching\n/);
  });

  it('uses login items with --hidden on macOS and Windows', () => {
    const items = loginItems();
    const login = startAtLogin({ platform: 'win32', packaged: true, loginItems: items, execPath: 'C:\\app.exe', env: {}, home: home() });
    login.set(true);
    expect(items.settings).toEqual({ openAtLogin: true, args: ['--hidden'] });
    expect(login.get()).toBe(true);
    login.set(false);
    expect(login.get()).toBe(false);
  });

  it('cannot be set from a development build', () => {
    const login = startAtLogin({ platform: 'linux', packaged: false, loginItems: loginItems(), execPath: '/node_modules/electron/dist/electron', env: {}, home: home() });
    expect(login.get()).toBeNull();
    expect(() => login.set(true)).toThrow(/needs the installed app/);
  });
});

describe('docker context switch', () => {
  function setup(listening: string | null = '/run/user/1000/docker-caching/docker.sock') {
    const home = mkdtempSync(join(tmpdir(), 'dc-switch-'));
    const configPath = join(home, '.config', 'docker-caching', 'config.yaml');
    mkdirSync(join(home, '.docker'), { recursive: true });
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ currentContext: 'colima', auths: {} }));
    const reports: string[] = [];
    let socket = listening;
    const sw = new DockerContextSwitch({ env: {}, home, configPath, listening: () => socket, report: (m) => reports.push(m) });
    const current = () => JSON.parse(readFileSync(join(home, '.docker', 'config.json'), 'utf8')).currentContext;
    return { home, configPath, sw, reports, current, setListening: (s: string | null) => (socket = s) };
  }

  it('decides at launch: apply the remembered choice while listening, else undo a leftover switch', () => {
    expect(launchContextAction(true, false, true)).toBe('use');
    expect(launchContextAction(true, true, true)).toBe('use');
    expect(launchContextAction(true, true, false)).toBe('restore');
    expect(launchContextAction(false, true, true)).toBe('restore');
    expect(launchContextAction(false, false, true)).toBe('none');
  });

  it('switches docker to the proxy and back, remembering the choice', () => {
    const { sw, current, home } = setup();
    sw.set(true);
    expect(current()).toBe('docker-caching');
    expect(sw.active()).toBe(true);
    expect(sw.wanted()).toBe(true);
    expect(currentContextEndpoint({ env: {}, home })).toEqual({ name: 'docker-caching', host: 'unix:///run/user/1000/docker-caching/docker.sock' });
    sw.set(false);
    expect(current()).toBe('colima');
    expect(sw.wanted()).toBe(false);
  });

  it('remembers "off" even when it was never on', () => {
    const { sw, current, reports } = setup();
    sw.set(false);
    expect(reports).toEqual([]);
    expect(sw.wanted()).toBe(false);
    expect(current()).toBe('colima');
  });

  it('restores docker on quit but keeps the choice for the next launch, which re-applies it', () => {
    const { sw, current } = setup();
    sw.set(true);
    sw.restoreOnQuit();
    expect(current()).toBe('colima');
    expect(sw.wanted()).toBe(true);
    sw.applyAtLaunch();
    expect(current()).toBe('docker-caching');
  });

  it('refuses to point docker at the proxy while it is not listening, and says why', () => {
    const { sw, current, reports } = setup(null);
    sw.set(true);
    expect(current()).toBe('colima');
    expect(sw.wanted()).toBe(false);
    expect(reports).toEqual(['cannot point docker commands at docker-caching: the proxy is not listening (see the status line in the tray menu)']);
  });

  it('undoes a switch left behind by a crash when the proxy cannot listen at launch', () => {
    const { sw, current, setListening } = setup();
    sw.set(true);
    setListening(null);
    sw.applyAtLaunch();
    expect(current()).toBe('colima');
  });

  it('reports an environment that will override the context', () => {
    const { home, configPath } = setup();
    const reports: string[] = [];
    const sw = new DockerContextSwitch({ env: { DOCKER_HOST: 'unix:///var/run/docker.sock' }, home, configPath, listening: () => '/tmp/dc.sock', report: (m) => reports.push(m) });
    sw.set(true);
    expect(reports).toEqual([expect.stringMatching(/^DOCKER_HOST=unix:\/\/\/var\/run\/docker\.sock is set.*unset DOCKER_HOST/)]);
  });
});
