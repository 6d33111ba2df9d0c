// Where the config file lives by default on each platform. Pure path arithmetic from the
// environment it is given: never reads process state itself, never touches the disk.
import path from 'node:path';

export interface ConfigLocationContext {
  env: NodeJS.ProcessEnv;
  home: string;
  platform: NodeJS.Platform;
}

const appFolder = 'docker-caching';
const fileName = 'config.yaml';

/**
 * Linux and other Unixes: `$XDG_CONFIG_HOME/docker-caching/config.yaml`, else
 * `~/.config/...`; macOS: `~/Library/Application Support/...`; Windows: `%APPDATA%\...`.
 */
export function defaultConfigPath({ env, home, platform }: ConfigLocationContext): string {
  if (platform === 'win32') {
    const appData = env.APPDATA || path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, appFolder, fileName);
  }
  if (platform === 'darwin') {
    return path.posix.join(home, 'Library', 'Application Support', appFolder, fileName);
  }
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  const configHome = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.config');
  return path.posix.join(configHome, appFolder, fileName);
}
