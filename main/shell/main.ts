// The Electron app's composition root: starts the engine and wires it to the tray, the window,
// IPC, notifications and the docker context. Only this file and preload.ts import electron;
// every decision lives in the modules it wires, so nothing here should need a test of its own.
import {
  app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeTheme, Notification, protocol, session, shell, Tray,
} from 'electron';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { startEngine } from '../engine/start';
import { appMenu } from './app-menu';
import { serveAppFile } from './app-protocol';
import { DockerContextSwitch } from './docker-context-switch';
import { EngineEvents } from './event-batcher';
import { engineHandlers } from './ipc-handlers';
import { launchView, QuitSequence } from './lifecycle';
import { notifyPulls } from './notifications';
import { registerIpc } from './register-ipc';
import { APP_SCHEME, denyPermissionCheck, denyPermissionRequest, downloadAllowed, isAppUrl, navigationGuard, windowOpenHandler } from './security';
import { discardChangesDialog, settleUnload } from './unsaved-changes';
import { startAtLogin } from './start-at-login';
import { TrayController } from './tray-controller';
import { trayIconFile, trayIconState, type TrayIconState } from './tray-icon';
import { WindowManager, type AppWindow } from './window-manager';
import { windowOptions } from './window-options';

// Module scripts need a standard, secure origin: file:// would not do (and has no origin to check).
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) {
  // Another docker-caching runs: it shows its window (second-instance below); this one leaves.
  app.exit(0);
} else {
  app.on('window-all-closed', () => {
    // Closing windows never quits: Quit in the tray or the window menu does (see QuitSequence).
  });
  app.whenReady().then(run).catch((err: Error) => fail(err));
}

function report(message: string): void {
  console.error(`docker-caching: ${message}`);
  if (Notification.isSupported()) new Notification({ title: 'docker-caching', body: message }).show();
}

function fail(err: Error): void {
  dialog.showErrorBox('docker-caching cannot start', err.message);
  app.exit(1);
}

function appWindow(win: BrowserWindow): AppWindow {
  return {
    show: () => win.show(),
    hide: () => win.hide(),
    focus: () => win.focus(),
    restore: () => win.restore(),
    isMinimized: () => win.isMinimized(),
    loadURL: (url) => win.loadURL(url),
    send: (event, payload) => {
      if (!win.isDestroyed()) win.webContents.send(event, payload);
    },
    on: (event: string, listener: (...args: never[]) => void) => {
      win.on(event as 'show', listener as () => void);
    },
  };
}

async function run(): Promise<void> {
  const dist = join(__dirname, '..');
  const assets = app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'assets');
  const openExternal = (url: string) => void shell.openExternal(url);
  if (process.platform === 'win32') app.setAppUserModelId('dev.docker-caching.app');

  protocol.handle(APP_SCHEME, async (request) => {
    const file = await serveAppFile(join(dist, 'renderer'), request.url);
    return new Response(new Uint8Array(file.body), { status: file.status, headers: file.headers });
  });
  session.defaultSession.setPermissionRequestHandler(denyPermissionRequest);
  session.defaultSession.setPermissionCheckHandler(denyPermissionCheck);
  const guard = navigationGuard(openExternal);
  session.defaultSession.on('will-download', (event, item) => {
    if (!downloadAllowed(item.getURL())) {
      event.preventDefault();
      return;
    }
    item.setSaveDialogOptions({ title: 'Export requests', defaultPath: join(app.getPath('downloads'), item.getFilename()) });
  });
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-prevent-unload', (event) => {
      const owner = BrowserWindow.fromWebContents(contents);
      const choice = owner ? dialog.showMessageBoxSync(owner, { ...discardChangesDialog, buttons: [...discardChangesDialog.buttons] }) : 0;
      settleUnload(event, choice);
    });
    contents.on('will-navigate', guard);
    contents.on('will-redirect', guard);
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(windowOpenHandler(openExternal));
  });

  let engine: Awaited<ReturnType<typeof startEngine>>;
  try {
    engine = await startEngine({ keepRunningOnErrors: true });
  } catch (err) {
    fail(err as Error);
    return;
  }

  const events = new EngineEvents(engine);
  const contextSwitch = new DockerContextSwitch({
    env: process.env, home: homedir(), configPath: engine.config.get().path, listening: () => engine.status().listening, report,
  });
  contextSwitch.applyAtLaunch();
  const useDockerContext = (on: boolean): string | undefined => {
    const problem = contextSwitch.set(on);
    trayController.refresh();
    // The engine reads the current context when asked; windows hear of the switch now.
    events.broadcast('status.changed', engine.status());
    return problem;
  };

  registerIpc(ipcMain, engineHandlers(engine, {
    openExternal: (url) => shell.openExternal(url),
    copyText: (text) => clipboard.writeText(text),
    logsCleared: () => events.logsCleared(),
    openPath: (path) => shell.openPath(path),
    showItemInFolder: (path) => shell.showItemInFolder(path),
    useDockerContext,
  }), (url) => isAppUrl(url));
  notifyPulls(engine, (notification) => {
    if (Notification.isSupported()) new Notification(notification).show();
  });
  const login = startAtLogin({ platform: process.platform, packaged: app.isPackaged, loginItems: app, execPath: process.execPath, env: process.env, home: homedir() });

  const quitSequence = new QuitSequence([
    { name: 'restore the docker context', run: () => contextSwitch.restoreOnQuit() },
    { name: 'stop the engine', run: () => engine.stop() },
    { name: 'remove the tray icon', run: () => { trayController.dispose(); events.dispose(); tray.destroy(); } },
  ], report);
  app.on('before-quit', (event) => quitSequence.beforeQuit(event, () => app.quit()));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  const windows = new WindowManager({
    create: () => appWindow(new BrowserWindow(windowOptions({
      preloadPath: join(__dirname, 'preload.js'),
      darkColors: nativeTheme.shouldUseDarkColors,
      devTools: !app.isPackaged,
      iconPath: join(assets, 'icon.png'),
    }))),
    attach: (send, visible) => events.attach(send, visible),
    isQuitting: () => quitSequence.quitting,
    report,
  });

  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenu(process.platform, { openView: (view) => windows.show(view), quit: () => app.quit() })));

  const iconPath = (state: TrayIconState) => join(assets, 'tray', trayIconFile(state, process.platform, nativeTheme.shouldUseDarkColors));
  const tray = new Tray(iconPath(trayIconState(engine.status())));
  const trayController = new TrayController(engine, {
    tray,
    buildMenu: (template) => Menu.buildFromTemplate(template),
    iconPath,
    dockerContextActive: () => contextSwitch.active(),
    startAtLogin: () => login.get(),
    commands: {
      setEnabled: (enabled) => void engine.config.setEnabled(enabled).catch((err: Error) => report(err.message)),
      setRuleEnabled: (index, enabled) => void engine.config.setRuleEnabled(index, enabled).catch((err: Error) => report(err.message)),
      openView: (view) => windows.show(view),
      useDockerContext: (on) => void useDockerContext(on),
      setNotifications: (on) => {
        const { config, revision } = engine.config.get();
        void engine.config.save({ ...config, notifications: on }, revision).catch((err: Error) => report(err.message));
      },
      setCacheEnabled: (on) => {
        const { config, revision } = engine.config.get();
        void engine.config.save({ ...config, cache: { ...config.cache, enabled: on } }, revision).catch((err: Error) => report(err.message));
      },
      clearCache: () => void engine.clearCache().catch((err: Error) => report(`Clearing the local cache failed: ${err.message}`)),
      setStartAtLogin: (on) => {
        try {
          login.set(on);
        } catch (err) {
          report((err as Error).message);
        }
        trayController.refresh();
      },
      quit: () => app.quit(),
    },
  });
  nativeTheme.on('updated', () => trayController.render());
  // Linux panels keep clicks on the icon to themselves; Windows users expect one to open the app.
  if (process.platform === 'win32') tray.on('click', () => windows.show('inspector'));

  app.on('second-instance', () => windows.show('inspector'));
  app.on('activate', () => windows.show('inspector'));

  const view = launchView(process.argv);
  if (view) windows.show(view);
}
