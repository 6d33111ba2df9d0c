// The built composition root (dist/shell/main.js) run under plain node with a fake `electron`:
// proves the wiring the unit tests of each module cannot see (engine, IPC, tray, window,
// protocol, docker context, quit). The engine is real; its upstream is a socket nobody serves.
import { EventEmitter } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeChannels } from '#shared/ipc';
import { buildAndRead, projectRoot } from '../harness/build';

type Handler = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>;
type Preventable = { preventDefault(): void; defaultPrevented: boolean };
const preventable = (): Preventable => ({
  defaultPrevented: false,
  preventDefault() {
    this.defaultPrevented = true;
  },
});

/** Just enough of Electron for main.ts, recording what it is asked to do. */
function fakeElectron() {
  let ready!: () => void;
  const whenReady = new Promise<void>((resolve) => (ready = resolve));
  const rec = {
    schemes: [] as unknown[],
    protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
    ipc: new Map<string, Handler>(),
    trays: [] as FakeTray[],
    windows: [] as FakeWindow[],
    notifications: [] as { title: string; body: string }[],
    errorBoxes: [] as string[],
    permissionRequest: undefined as undefined | ((wc: unknown, p: string, cb: (granted: boolean) => void) => void),
    willDownload: undefined as undefined | ((event: { preventDefault(): void }, item: unknown) => void),
    exitCode: undefined as number | undefined,
    appMenu: [] as MenuItemConstructorOptions[],
    quits: 0,
    quitted: false,
  };
  class FakeApp extends EventEmitter {
    isPackaged = false;
    requestSingleInstanceLock = () => true;
    getPath = () => tmpdir();
    whenReady = () => whenReady;
    getAppPath = () => projectRoot;
    setAppUserModelId = () => {};
    getLoginItemSettings = () => ({ openAtLogin: false });
    setLoginItemSettings = () => {};
    exit = (code: number) => void (rec.exitCode = code);
    quit = () => {
      rec.quits++;
      const event = preventable();
      this.emit('before-quit', event);
      if (!event.defaultPrevented) rec.quitted = true;
    };
  }
  class FakeTray {
    menu: { template: MenuItemConstructorOptions[] } | null = null;
    tooltip = '';
    destroyed = false;
    constructor(public image: string) {
      rec.trays.push(this);
    }
    setContextMenu(menu: { template: MenuItemConstructorOptions[] }) {
      this.menu = menu;
    }
    setImage(image: string) {
      this.image = image;
    }
    setToolTip(text: string) {
      this.tooltip = text;
    }
    on() {}
    destroy() {
      this.destroyed = true;
    }
  }
  class FakeWindow extends EventEmitter {
    url = '';
    visible = false;
    sent: unknown[][] = [];
    webContents = { send: (...args: unknown[]) => this.sent.push(args) };
    constructor(public options: Electron.BrowserWindowConstructorOptions) {
      super();
      rec.windows.push(this);
    }
    async loadURL(url: string) {
      this.url = url;
      setImmediate(() => this.emit('ready-to-show'));
    }
    show() {
      this.visible = true;
      this.emit('show');
    }
    hide() {
      this.visible = false;
      this.emit('hide');
    }
    focus() {}
    restore() {}
    isMinimized() {
      return false;
    }
    isDestroyed() {
      return false;
    }
    close() {
      const event = preventable();
      this.emit('close', event);
      if (!event.defaultPrevented) this.emit('closed');
    }
  }
  class FakeNotification {
    static isSupported = () => true;
    constructor(options: { title: string; body: string }) {
      rec.notifications.push(options);
    }
    show() {}
  }
  const electron = {
    app: new FakeApp(),
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => rec.schemes.push(...schemes),
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => rec.protocolHandlers.set(scheme, handler),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: typeof rec.permissionRequest) => void (rec.permissionRequest = h),
        setPermissionCheckHandler: () => {},
        on: (event: string, h: typeof rec.willDownload) => {
          if (event === 'will-download') rec.willDownload = h;
        },
      },
    },
    ipcMain: { handle: (channel: string, handler: Handler) => rec.ipc.set(channel, handler), removeHandler: (channel: string) => rec.ipc.delete(channel) },
    Menu: {
      buildFromTemplate: (template: MenuItemConstructorOptions[]) => ({ template }),
      setApplicationMenu: (menu: { template: MenuItemConstructorOptions[] }) => void (rec.appMenu = menu.template),
    },
    Tray: FakeTray,
    BrowserWindow: FakeWindow,
    nativeTheme: Object.assign(new EventEmitter(), { shouldUseDarkColors: false }),
    Notification: FakeNotification,
    shell: { openExternal: async () => {} },
    clipboard: { writeText: () => {} },
    dialog: { showErrorBox: (_title: string, message: string) => rec.errorBoxes.push(message) },
  };
  return { electron, rec, ready };
}

/** Loads a built CommonJS bundle from its own path, with `require('electron')` answered by the fake. */
function loadWithFakeElectron(file: string, code: string, electron: unknown): void {
  type Internal = Module & { _compile(code: string, filename: string): void; paths: string[] };
  const mod = new Module(file) as Internal;
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  const realRequire = mod.require.bind(mod);
  mod.require = Object.assign((id: string) => (id === 'electron' ? electron : realRequire(id)), realRequire);
  mod._compile(code, file);
}

async function until<T>(what: string, check: () => T | undefined | null | false, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const home = mkdtempSync(join(tmpdir(), 'dc-main-'));
const socket = join(home, 'run', 'docker-caching', 'docker.sock');
const savedEnv = { ...process.env };
let fake: ReturnType<typeof fakeElectron>;
const labels = () => fake.rec.trays[0]!.menu!.template.map((i) => i.label ?? '---');
const menuItem = (label: string) => fake.rec.trays[0]!.menu!.template.find((i) => i.label === label)!;
const clickItem = (label: string) => (menuItem(label).click as () => void)();
const app = 'app://docker-caching/index.html';

beforeAll(async () => {
  const code = buildAndRead(['dist/shell/main.js'])['dist/shell/main.js']!;
  Object.assign(process.env, { HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_RUNTIME_DIR: join(home, 'run'), DOCKER_HOST: `unix://${join(home, 'no-engine.sock')}` });
  for (const name of ['DOCKER_CONFIG', 'DOCKER_CONTEXT']) delete process.env[name];
  fake = fakeElectron();
  loadWithFakeElectron(join(projectRoot, 'dist', 'shell', 'main.js'), code, fake.electron);
  expect(fake.rec.schemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  fake.ready();
  await until('the tray menu', () => fake.rec.trays[0]?.menu);
}, 120_000);

afterAll(async () => {
  if (!fake.rec.quitted) fake.electron.app.quit();
  await until('quit', () => fake.rec.quitted);
  process.env = savedEnv;
});

describe('the app started from its built main bundle', () => {
  it('starts the engine and shows its state in the tray', async () => {
    expect(fake.rec.errorBoxes).toEqual([]);
    expect(fake.rec.appMenu.map((m) => m.label ?? m.role)).toEqual(['File', 'editMenu', 'viewMenu', 'windowMenu']);
    expect(labels()[0]).toBe(`Listening at ${socket}`);
    expect(labels()).toEqual(expect.arrayContaining(['Redirect pulls', 'Open Inspector', 'Edit Rules…', 'Use docker-caching for docker commands', 'Quit docker-caching']));
    // Nothing serves the upstream socket: the error icon, one that exists.
    expect(fake.rec.trays[0]!.image).toBe(join(projectRoot, 'assets', 'tray', 'tray-errorDark.png'));
    expect(existsSync(fake.rec.trays[0]!.image)).toBe(true);
  });

  it('opens the inspector window at launch, locked down, with the built preload', async () => {
    const win = await until('the window', () => fake.rec.windows[0]);
    expect(win.url).toBe(`${app}#inspector`);
    expect(win.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(win.options.webPreferences!.preload).toBe(join(projectRoot, 'dist', 'shell', 'preload.js'));
    expect(existsSync(win.options.webPreferences!.preload!)).toBe(true);
    await until('the window shown', () => win.visible);
    win.close();
    expect(win.visible).toBe(false);
    clickItem('Edit Rules…');
    expect(fake.rec.windows).toHaveLength(1);
    expect(win.visible).toBe(true);
    expect(win.sent).toContainEqual(['view.show', 'rules']);
  });

  it('answers every contract channel for our pages only', async () => {
    expect([...fake.rec.ipc.keys()].sort()).toEqual(Object.keys(invokeChannels).sort());
    const statusGet = fake.rec.ipc.get('status.get')!;
    expect(await statusGet({ senderFrame: { url: app } })).toMatchObject({ ok: true, value: { listening: socket } });
    expect(await statusGet({ senderFrame: { url: 'https://evil.example/' } })).toMatchObject({ ok: false });
  });

  it('serves the app files with the CSP and denies permissions', async () => {
    const handler = fake.rec.protocolHandlers.get('app')!;
    const missing = await handler(new Request('app://docker-caching/nothing-here.js'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const granted: boolean[] = [];
    fake.rec.permissionRequest!({}, 'media', (g) => granted.push(g));
    expect(granted).toEqual([false]);
    const refused = preventable();
    fake.rec.willDownload!(refused, { getURL: () => 'https://example.com/x.tar', getFilename: () => 'x.tar', setSaveDialogOptions: () => {} });
    expect(refused.defaultPrevented).toBe(true);
    const exported = preventable();
    const dialogs: unknown[] = [];
    fake.rec.willDownload!(exported, { getURL: () => 'blob:app://docker-caching/1', getFilename: () => 'requests.har', setSaveDialogOptions: (o: unknown) => dialogs.push(o) });
    expect(exported.defaultPrevented).toBe(false);
    expect(dialogs).toEqual([expect.objectContaining({ title: 'Export requests' })]);
  });

  it('toggles redirection from the tray, saved to the config file', async () => {
    clickItem('Redirect pulls');
    const configFile = join(home, 'config', 'docker-caching', 'config.yaml');
    await until('the config saved', () => existsSync(configFile) && /enabled: false/.test(readFileSync(configFile, 'utf8')));
    await until('the menu rebuilt', () => menuItem('Redirect pulls').checked === false);
  });

  it('switches pull notifications from the tray, saved to the config file', async () => {
    clickItem('Notify when a pull falls back or fails');
    const configFile = join(home, 'config', 'docker-caching', 'config.yaml');
    await until('the config saved', () => existsSync(configFile) && /notifications: false/.test(readFileSync(configFile, 'utf8')));
    await until('the menu rebuilt', () => menuItem('Notify when a pull falls back or fails').checked === false);
  });

  it('points docker at the proxy from the tray, and quitting puts it back, stops the engine and removes the tray', async () => {
    clickItem('Use docker-caching for docker commands');
    const dockerConfig = join(home, '.docker', 'config.json');
    expect(JSON.parse(readFileSync(dockerConfig, 'utf8'))).toEqual({ currentContext: 'docker-caching' });
    await until('the menu rebuilt', () => menuItem('Use docker-caching for docker commands').checked === true);
    const pushed = fake.rec.windows[0]!.sent.filter(([event]) => event === 'status.changed').at(-1);
    expect(pushed?.[1]).toMatchObject({ dockerContextActive: true });

    clickItem('Quit docker-caching');
    expect(fake.rec.quitted).toBe(false);
    await until('quit', () => fake.rec.quitted);
    expect(JSON.parse(readFileSync(dockerConfig, 'utf8'))).toEqual({});
    expect(existsSync(socket)).toBe(false);
    expect(fake.rec.trays[0]!.destroyed).toBe(true);
    expect(fake.rec.quits).toBe(2);
  });
});
