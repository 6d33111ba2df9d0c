// The app window's options: hidden until painted, and locked-down web preferences (context
// isolation, sandbox, no Node, web security on). Pure; never loosens a preference for convenience.
import type { BrowserWindowConstructorOptions } from 'electron';

export interface WindowSetup {
  /** Absolute path of the built preload bundle. */
  preloadPath: string;
  /** The system prefers dark colours: paint that background before the page does. */
  darkColors: boolean;
  /** Developer tools: only in development builds. */
  devTools: boolean;
  /** Window icon (Linux and Windows). */
  iconPath?: string;
}

export function windowOptions(setup: WindowSetup): BrowserWindowConstructorOptions {
  return {
    title: 'docker-caching',
    width: 1200,
    height: 780,
    minWidth: 720,
    minHeight: 480,
    // Shown on ready-to-show, so there is no white flash; the background matches the theme meanwhile.
    show: false,
    backgroundColor: setup.darkColors ? '#1e1f22' : '#ffffff',
    autoHideMenuBar: true,
    ...(setup.iconPath ? { icon: setup.iconPath } : {}),
    webPreferences: {
      preload: setup.preloadPath,
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
      safeDialogs: true,
      spellcheck: false,
      devTools: setup.devTools,
    },
  };
}
