// The window's menu: the views, Quit (the way out when the desktop shows no tray, as GNOME
// without its extension), and the standard Edit/View roles (copy and paste on macOS, zoom).
// Pure; never quits other than through the app's quit sequence.
import type { MenuItemConstructorOptions } from 'electron';
import type { View } from '#shared/ipc';

export interface AppMenuCommands {
  openView(view: View): void;
  quit(): void;
}

export function appMenu(platform: NodeJS.Platform, commands: AppMenuCommands): MenuItemConstructorOptions[] {
  const views: MenuItemConstructorOptions[] = [
    { label: 'Open Inspector', accelerator: 'CmdOrCtrl+1', click: () => commands.openView('inspector') },
    { label: 'Edit Rules…', accelerator: 'CmdOrCtrl+2', click: () => commands.openView('rules') },
  ];
  const quit: MenuItemConstructorOptions = { label: 'Quit docker-caching', accelerator: 'CmdOrCtrl+Q', click: () => commands.quit() };
  const first: MenuItemConstructorOptions = platform === 'darwin'
    ? { label: 'docker-caching', submenu: [{ role: 'about' }, { type: 'separator' }, ...views, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { type: 'separator' }, quit] }
    : { label: 'File', submenu: [...views, { type: 'separator' }, { role: 'close' }, quit] };
  return [first, { role: 'editMenu' }, { role: 'viewMenu' }, { role: 'windowMenu' }];
}
