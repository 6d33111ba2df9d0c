// Runs the REAL preload bundle and a renderer in Debian's Chromium, wired to an Engine in the
// test process through the app's real IPC registration, handlers and event batcher: the same
// code paths as under Electron, minus Electron. Never loads electron; never reuses a profile.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { PushEvent, PushEvents, View } from '#shared/ipc';
import type { Engine } from '../../main/engine/engine';
import { serveAppFile } from '../../main/shell/app-protocol';
import { EngineEvents, type WindowFeed } from '../../main/shell/event-batcher';
import { engineHandlers } from '../../main/shell/ipc-handlers';
import { registerIpc, type InvokeEvent, type IpcMainLike } from '../../main/shell/register-ipc';
import { isAppUrl } from '../../main/shell/security';
import { viewUrl } from '../../main/shell/window-manager';
import { buildAndRead, projectRoot } from './build';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface OpenAppOptions {
  view?: View;
  colorScheme?: 'light' | 'dark';
  viewport?: { width: number; height: number };
  /** Folder served as the app's files; default the built renderer, dist/renderer. */
  root?: string;
  /** What switching the docker context does; by default it is only recorded. */
  useDockerContext?: (on: boolean) => string | undefined;
}

export interface OpenedApp {
  page: Page;
  /** Hides or shows the "window": hidden, it gets no log batches; shown again, it is re-synced. */
  setVisible(visible: boolean): Promise<void>;
  /** What main pushes when the tray asks for a view. */
  showView(view: View): Promise<void>;
  /** Resolves once every event pushed so far has been delivered to the page. */
  delivered(): Promise<void>;
  /** Links the page asked main to open in the browser, and text it copied. */
  openedExternally: string[];
  copied: string[];
  /** Files main opened with the desktop's default application, and files shown in a folder. */
  openedPaths: string[];
  shownInFolder: string[];
  /** The docker-context switches the page asked for. */
  contextSwitches: boolean[];
  /** Uncaught errors and console errors (CSP violations among them) seen in the page. */
  errors: string[];
  close(): Promise<void>;
}

let preloadBundle: string | undefined;

/** ipcMain as Electron dispatches it: one handler per channel, called with the sender frame. */
class DispatchingIpcMain implements IpcMainLike {
  private readonly handlers = new Map<string, (event: InvokeEvent, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => Promise<unknown>): void {
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  dispatch(frameUrl: string, channel: string, args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    // Electron's own answer for a channel nobody handles.
    if (!handler) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return handler({ senderFrame: { url: frameUrl } }, ...args);
  }
}

/**
 * Evaluated in the page before its own scripts: a `require('electron')` whose contextBridge
 * sets the global and whose ipcRenderer goes through the test binding, then the preload bundle.
 */
function preloadShim(bundle: string): string {
  return `(() => {
  const invoke = window.__dockerCachingInvoke;
  const listeners = new Map();
  const ipcRenderer = {
    invoke: (channel, ...args) => invoke(channel, args),
    on(channel, listener) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel).add(listener);
    },
    removeListener(channel, listener) {
      listeners.get(channel)?.delete(listener);
    },
  };
  const contextBridge = {
    exposeInMainWorld(name, api) {
      Object.defineProperty(window, name, { value: Object.freeze({ ...api }), enumerable: true });
    },
  };
  Object.defineProperty(window, '__dockerCachingEmit', {
    value: (channel, payload) => {
      for (const listener of [...(listeners.get(channel) ?? [])]) listener({}, payload);
    },
  });
  const require = (id) => {
    if (id === 'electron') return { contextBridge, ipcRenderer };
    throw new Error('module not found: ' + id);
  };
  const module = { exports: {} };
  (function (require, module, exports) {
${bundle}
  })(require, module, module.exports);
})();`;
}

function serve(root: string): Promise<Server> {
  const server = createServer((req, res) => {
    void serveAppFile(root, `http://127.0.0.1${req.url ?? '/'}`).then((file) => {
      res.writeHead(file.status, file.headers);
      res.end(file.body);
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

/**
 * Opens the app's page on `engine`. When the engine is a real one, it runs in this process:
 * drive docker with asynchronous child processes (execFile), never execFileSync, or the proxy
 * cannot answer while the test waits.
 */
export async function openApp(engine: Engine, opts: OpenAppOptions = {}): Promise<OpenedApp> {
  preloadBundle ??= buildAndRead(['dist/shell/preload.js'])['dist/shell/preload.js']!;
  const server = await serve(opts.root ?? join(projectRoot, 'dist', 'renderer'));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const profile = mkdtempSync(join(tmpdir(), 'dc-chromium-'));
  let context: BrowserContext | undefined;
  const cleanups: (() => void | Promise<void>)[] = [
    () => new Promise<void>((resolve) => server.close(() => resolve())),
    () => rmSync(profile, { recursive: true, force: true }),
  ];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      colorScheme: opts.colorScheme ?? 'light',
      viewport: opts.viewport ?? { width: 1280, height: 800 },
    });
    const browser = context;
    cleanups.push(() => browser.close());
    const page = browser.pages()[0] ?? (await browser.newPage());

    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    const openedExternally: string[] = [];
    const copied: string[] = [];
    const openedPaths: string[] = [];
    const shownInFolder: string[] = [];
    const contextSwitches: boolean[] = [];
    const events = new EngineEvents(engine);
    const ipcMain = new DispatchingIpcMain();
    const unregister = registerIpc(ipcMain, engineHandlers(engine, {
      openExternal: async (url) => void openedExternally.push(url),
      copyText: (text) => void copied.push(text),
      logsCleared: () => events.logsCleared(),
      openPath: async (path) => {
        openedPaths.push(path);
        return '';
      },
      showItemInFolder: (path) => void shownInFolder.push(path),
      useDockerContext: (on) => {
        contextSwitches.push(on);
        return opts.useDockerContext?.(on);
      },
    }), (url) => isAppUrl(url, origin));
    cleanups.push(() => {
      unregister();
      events.dispose();
    });

    await page.exposeBinding('__dockerCachingInvoke', (source, channel: string, args: unknown[]) => ipcMain.dispatch(source.frame.url(), channel, args));
    await page.addInitScript({ content: preloadShim(preloadBundle) });

    // Pushed events reach the page in order, like webContents.send.
    let queue: Promise<unknown> = Promise.resolve();
    const send = <E extends PushEvent>(event: E, payload: PushEvents[E]) => {
      queue = queue.then(() => page.evaluate(([e, p]) => (window as unknown as { __dockerCachingEmit(e: string, p: unknown): void }).__dockerCachingEmit(e, p), [event, payload] as const)).catch((err: Error) => {
        if (!page.isClosed()) errors.push(`could not deliver ${event}: ${err.message}`);
      });
    };
    // Like a BrowserWindow: attached hidden, shown once the page has loaded.
    const { feed, detach }: { feed: WindowFeed; detach: () => void } = events.attach(send, false);
    cleanups.push(detach);

    await page.goto(viewUrl(opts.view ?? 'inspector', origin));
    feed.setVisible(true);

    const delivered = async () => {
      feed.flush();
      await queue;
    };
    return {
      page,
      setVisible: async (visible) => {
        feed.setVisible(visible);
        await delivered();
      },
      showView: async (view) => {
        send('view.show', view);
        await delivered();
      },
      delivered,
      openedExternally,
      copied,
      openedPaths,
      shownInFolder,
      contextSwitches,
      errors,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
