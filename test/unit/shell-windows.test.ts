import { EventEmitter } from 'node:events';
import type { MenuItemConstructorOptions } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PushEvent } from '#shared/ipc';
import { appMenu } from '../../main/shell/app-menu';
import { EngineEvents } from '../../main/shell/event-batcher';
import { closeAction, viewUrl, WindowManager, type AppWindow } from '../../main/shell/window-manager';
import { windowOptions } from '../../main/shell/window-options';
import { FakeEngine, logDetail } from '../harness/fake-engine';

describe('window options', () => {
  const options = windowOptions({ preloadPath: '/app/dist/shell/preload.js', darkColors: false, devTools: false });

  it('isolates the page: context isolation, sandbox, no Node, web security on', () => {
    expect(options.webPreferences).toMatchObject({
      preload: '/app/dist/shell/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      devTools: false,
    });
  });

  it('stays hidden until painted, on a background matching the theme', () => {
    expect(options.show).toBe(false);
    expect(options.backgroundColor).toBe('#ffffff');
    expect(windowOptions({ preloadPath: '/p.js', darkColors: true, devTools: true }).backgroundColor).toBe('#1e1f22');
    expect(windowOptions({ preloadPath: '/p.js', darkColors: true, devTools: true }).webPreferences?.devTools).toBe(true);
  });
});

/** A BrowserWindow stand-in: records what was asked of it and lets the test fire its events. */
class FakeWindow extends EventEmitter implements AppWindow {
  visible = false;
  minimized = false;
  focused = 0;
  loaded: string[] = [];
  sent: { event: PushEvent; payload: unknown }[] = [];
  closed = false;
  send = (event: PushEvent, payload: unknown) => {
    this.sent.push({ event, payload });
  };
  show() {
    this.visible = true;
    this.minimized = false;
    this.emit('show');
  }
  hide() {
    this.visible = false;
    this.emit('hide');
  }
  focus() {
    this.focused++;
  }
  restore() {
    this.minimized = false;
    this.emit('restore');
  }
  minimize() {
    this.minimized = true;
    this.emit('minimize');
  }
  isMinimized() {
    return this.minimized;
  }
  async loadURL(url: string) {
    this.loaded.push(url);
  }
  /** What the user's close button does: 'close', then 'closed' unless prevented. */
  userClose() {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) {
      this.closed = true;
      this.emit('closed');
    }
  }
}

describe('window manager', () => {
  let engine: FakeEngine;
  let events: EngineEvents;
  let windows: FakeWindow[];
  let quitting: boolean;
  let manager: WindowManager;
  beforeEach(() => {
    vi.useFakeTimers();
    engine = new FakeEngine();
    events = new EngineEvents(engine);
    windows = [];
    quitting = false;
    manager = new WindowManager({
      create: () => {
        const win = new FakeWindow();
        windows.push(win);
        return win;
      },
      attach: (send, visible) => events.attach(send, visible),
      isQuitting: () => quitting,
      report: (message) => {
        throw new Error(message);
      },
    });
  });
  afterEach(() => {
    events.dispose();
    vi.useRealTimers();
  });

  it('creates nothing until asked, then loads the view and shows it once painted', () => {
    expect(windows).toHaveLength(0);
    manager.show('rules');
    expect(windows).toHaveLength(1);
    const [win] = windows;
    expect(win!.loaded).toEqual(['app://docker-caching/index.html#rules']);
    expect(win!.visible).toBe(false);
    win!.emit('ready-to-show');
    expect(win!.visible).toBe(true);
    expect(win!.focused).toBe(1);
  });

  it('hides on close and keeps the window, which comes back on the next show with the view asked for', () => {
    manager.show('inspector');
    const win = windows[0]!;
    win.emit('ready-to-show');
    win.userClose();
    expect(win.closed).toBe(false);
    expect(win.visible).toBe(false);
    manager.show('rules');
    expect(windows).toHaveLength(1);
    expect(win.visible).toBe(true);
    expect(win.sent.filter((s) => s.event === 'view.show')).toEqual([{ event: 'view.show', payload: 'rules' }]);
  });

  it('really closes while quitting, and a later show makes a new window', () => {
    manager.show('inspector');
    windows[0]!.emit('ready-to-show');
    quitting = true;
    windows[0]!.userClose();
    expect(windows[0]!.closed).toBe(true);
    expect(manager.window).toBeNull();
    manager.show('inspector');
    expect(windows).toHaveLength(2);
  });

  it('restores a minimised window and focuses it (a second launch does this)', () => {
    manager.show('inspector');
    const win = windows[0]!;
    win.emit('ready-to-show');
    win.minimize();
    manager.show('inspector');
    expect(win.minimized).toBe(false);
    expect(win.focused).toBe(2);
    expect(win.sent.filter((s) => s.event === 'view.show')).toEqual([]);
  });

  it('opens on the latest view asked for before the page was ready', () => {
    manager.show('inspector');
    manager.show('rules');
    const win = windows[0]!;
    expect(win.visible).toBe(false);
    win.emit('ready-to-show');
    expect(win.sent).toEqual([{ event: 'view.show', payload: 'rules' }]);
    expect(win.visible).toBe(true);
  });

  it('feeds log batches only while the window is visible', () => {
    manager.show('inspector');
    const win = windows[0]!;
    engine.logs.begin(logDetail());
    vi.advanceTimersByTime(200);
    expect(win.sent).toEqual([]);
    win.emit('ready-to-show');
    expect(win.sent.map((s) => s.event)).toEqual(['logs.cleared', 'logs.batch']);
    win.minimize();
    engine.logs.begin(logDetail());
    vi.advanceTimersByTime(200);
    expect(win.sent).toHaveLength(2);
    win.restore();
    engine.logs.begin(logDetail());
    vi.advanceTimersByTime(200);
    expect(win.sent.map((s) => s.event)).toEqual(['logs.cleared', 'logs.batch', 'logs.cleared', 'logs.batch', 'logs.batch']);
  });

  it('decides close as hide unless quitting', () => {
    expect(closeAction(false)).toBe('hide');
    expect(closeAction(true)).toBe('close');
    expect(viewUrl('inspector', 'http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000/index.html#inspector');
  });
});

describe('window menu', () => {
  const run = (platform: NodeJS.Platform) => {
    const calls: unknown[][] = [];
    const menu = appMenu(platform, { openView: (view) => calls.push(['openView', view]), quit: () => calls.push(['quit']) });
    const first = menu[0]!.submenu as MenuItemConstructorOptions[];
    const click = (label: string) => (first.find((i) => i.label === label)!.click as () => void)();
    return { menu, first, calls, click };
  };

  it('offers the views and Quit, so the app can be left even where no tray shows', () => {
    const { first, calls, click, menu } = run('linux');
    expect(menu[0]!.label).toBe('File');
    expect(first.map((i) => i.label ?? i.role ?? i.type)).toEqual(['Open Inspector', 'Edit Rules…', 'separator', 'close', 'Quit docker-caching']);
    expect(first.find((i) => i.label === 'Quit docker-caching')!.accelerator).toBe('CmdOrCtrl+Q');
    click('Open Inspector');
    click('Edit Rules…');
    click('Quit docker-caching');
    expect(calls).toEqual([['openView', 'inspector'], ['openView', 'rules'], ['quit']]);
  });

  it('keeps the standard edit and view roles (copy and paste on macOS, zoom) under the app menu on macOS', () => {
    const { menu, first } = run('darwin');
    expect(menu.map((m) => m.label ?? m.role)).toEqual(['docker-caching', 'editMenu', 'viewMenu', 'windowMenu']);
    expect(first.at(-1)!.label).toBe('Quit docker-caching');
  });
});
