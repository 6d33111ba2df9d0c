// "Start at login": Electron's login items on macOS and Windows, an XDG autostart entry on
// Linux. The app then starts with --hidden, in the tray. Never registers a development build.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomicSync } from '../engine/atomic-write';
import { join } from 'node:path';
import { HIDDEN_FLAG } from './lifecycle';

/** The part of Electron's app this uses on macOS and Windows. */
export interface LoginItems {
  getLoginItemSettings(options?: { args?: string[] }): { openAtLogin: boolean };
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
}

export interface StartAtLogin {
  /** null where it cannot be set (a development build). */
  get(): boolean | null;
  set(on: boolean): void;
}

export interface StartAtLoginSetup {
  platform: NodeJS.Platform;
  packaged: boolean;
  loginItems: LoginItems;
  execPath: string;
  env: NodeJS.ProcessEnv;
  home: string;
}

/** `$XDG_CONFIG_HOME/autostart/docker-caching.desktop` */
export function autostartFile(env: NodeJS.ProcessEnv, home: string): string {
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'autostart', 'docker-caching.desktop');
}

/** One Exec argument, quoted as the Desktop Entry spec asks, then escaped as a string value. */
function execArg(arg: string): string {
  const quoted = /^[A-Za-z0-9_\-./=:,+@]+$/.test(arg) ? arg : `"${arg.replace(/(["`$\\])/g, '\\$1')}"`;
  return quoted.replace(/\\/g, '\\\\').replace(/%/g, '%%');
}

/** The autostart entry that launches `command` (the app and its arguments) at login. */
export function autostartDesktopEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=docker-caching',
    'Comment=Redirects docker image pulls to your mirrors',
    `Exec=${command.map(execArg).join(' ')}`,
    'Icon=docker-caching',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export function startAtLogin(setup: StartAtLoginSetup): StartAtLogin {
  if (!setup.packaged) {
    return {
      get: () => null,
      set: () => {
        throw new Error('start at login needs the installed app: a development build would start Electron without the app');
      },
    };
  }
  if (setup.platform === 'linux') {
    const file = autostartFile(setup.env, setup.home);
    // An AppImage runs from a temporary mount; APPIMAGE names the file itself.
    const entry = autostartDesktopEntry([setup.env.APPIMAGE || setup.execPath, HIDDEN_FLAG]);
    return {
      get: () => existsSync(file),
      set: (on) => {
        if (!on) {
          rmSync(file, { force: true });
          return;
        }
        if (existsSync(file) && readFileSync(file, 'utf8') === entry) return;
        writeFileAtomicSync(file, entry, { mode: 0o644, folderMode: 0o755 });
      },
    };
  }
  const args = [HIDDEN_FLAG];
  return {
    get: () => setup.loginItems.getLoginItemSettings({ args }).openAtLogin,
    set: (on) => setup.loginItems.setLoginItemSettings({ openAtLogin: on, args }),
  };
}
