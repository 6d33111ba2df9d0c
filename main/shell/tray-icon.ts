// Which tray icon to show: the state (on, off, error) from the engine's status, and the file
// for the platform. Pure; never picks a coloured icon on macOS (template images tint themselves).
import type { Status } from '#shared/ipc';

export type TrayIconState = 'on' | 'off' | 'error';

/** Error when the socket, the engine or the config is unusable; off when redirection is paused. */
export function trayIconState(status: Status): TrayIconState {
  if (status.listening === null || !status.upstream.healthy || status.configError) return 'error';
  return status.enabled ? 'on' : 'off';
}

/**
 * The icon file under assets/tray: macOS `*Template.png` (black on alpha, tinted by the menu
 * bar); Linux the light glyph, as most panels are dark whatever the theme; Windows follows the
 * system theme. Electron picks the `@2x` file beside it on high-density screens.
 */
export function trayIconFile(state: TrayIconState, platform: NodeJS.Platform, darkColors: boolean): string {
  if (platform === 'darwin') return `tray-${state}Template.png`;
  if (platform === 'win32') return `tray-${state}${darkColors ? 'Dark' : 'Light'}.png`;
  return `tray-${state}Dark.png`;
}

/** The tooltip: what docker-caching is doing, in a few words. */
export function trayTooltip(status: Status): string {
  if (status.listening === null) return `docker-caching: not listening${status.listenError ? ` (${status.listenError})` : ''}`;
  if (!status.upstream.healthy) return `docker-caching: cannot reach the Docker engine at ${status.upstream.address}`;
  if (status.configError) return 'docker-caching: the config file has an error';
  return status.enabled ? 'docker-caching: redirecting pulls' : 'docker-caching: redirection paused';
}
