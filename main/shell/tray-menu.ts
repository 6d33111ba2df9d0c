// The tray menu as a template, rebuilt from state: status lines, the master switch, one switch
// per rule, the local cache, recent pulls, windows, docker context, notifications, start at
// login, quit. Pure: never calls Electron.
import type { MenuItemConstructorOptions } from 'electron';
import type { CacheStatus, Status, View } from '#shared/ipc';
import { isBlockRule, type Rule } from '#shared/config/schema';
import type { RecentPull } from './pull-history';

export interface TrayState {
  status: Status;
  rules: readonly Rule[];
  recentPulls: readonly RecentPull[];
  pullsRedirectedToday: number;
  /** Whether docker commands use our context now. */
  dockerContextActive: boolean;
  /** null where it cannot be set (a development build). */
  startAtLogin: boolean | null;
  /** The config's `notifications` switch. */
  notifications: boolean;
  /** The config's `cache.enabled` switch. */
  cacheEnabled: boolean;
}

export interface TrayCommands {
  setEnabled(enabled: boolean): void;
  setRuleEnabled(index: number, enabled: boolean): void;
  openView(view: View): void;
  useDockerContext(on: boolean): void;
  setStartAtLogin(on: boolean): void;
  setNotifications(on: boolean): void;
  setCacheEnabled(on: boolean): void;
  clearCache(): void;
  quit(): void;
}

/** Menu labels treat `&` as a mnemonic marker on Windows and Linux: text from the user is escaped. */
function text(value: string): string {
  return value.replace(/&/g, '&&');
}

function info(label: string): MenuItemConstructorOptions {
  return { label, enabled: false };
}

export function ruleLabel(rule: Rule): string {
  const what = isBlockRule(rule) ? `${rule.from}: blocked` : `${rule.from} → ${rule.to.join(', ')}`;
  return text(rule.name ? `${rule.name} (${what})` : what);
}

function registryOf(ref: string): string {
  return ref.split('/')[0] ?? ref;
}

export function recentPullLabel(pull: RecentPull): string {
  const from = pull.source ? registryOf(pull.source) : undefined;
  const outcome = {
    redirected: from ? `from ${from}` : 'redirected',
    'fell back': from ? `fell back to ${from}` : 'fell back to the original',
    blocked: 'blocked by a rule',
    failed: 'failed',
    passed: from ? `from ${from}, no rule` : 'no rule',
  }[pull.action];
  return text(`${pull.image}: ${outcome}`);
}

function statusLines(state: TrayState): MenuItemConstructorOptions[] {
  const { status } = state;
  const lines = [
    status.listening !== null
      ? `Listening at ${status.listening}`
      : `Not listening: ${status.listenError ?? 'the proxy socket is not open'}`,
    status.upstream.healthy
      ? `Engine at ${status.upstream.address}${status.upstream.version ? ` (Docker ${status.upstream.version})` : ''}`
      : `Engine unreachable at ${status.upstream.address}${status.upstream.error ? `: ${status.upstream.error}` : ''}`,
  ];
  if (status.configError) {
    const { file, line, message } = status.configError;
    lines.push(`Config error in ${file}${line !== undefined ? `:${line}` : ''}: ${message}`);
  }
  const n = state.pullsRedirectedToday;
  lines.push(n === 0 ? 'No pulls redirected today' : `${n} ${n === 1 ? 'pull' : 'pulls'} redirected today`);
  return lines.map((line) => info(text(line)));
}

/** `1.2 GB`, binary units as the engine counts them. */
function size(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export function cacheRegistryLabel(registry: CacheStatus['registries'][number]): string {
  const state = registry.state === 'error' ? `error: ${registry.error ?? 'unknown'}` : registry.evicting ? `evicting ${registry.evicting} (pulls go to the original meanwhile)` : registry.state;
  return text(`${registry.registry}: ${state}${registry.sizeBytes ? `, ${size(registry.sizeBytes)}` : ''}`);
}

/** "Local cache": on/off, total size against maxSize, each registry's state, Clear cache. */
function cacheMenu(state: TrayState, commands: TrayCommands): MenuItemConstructorOptions {
  const cache = state.status.cache;
  const items: MenuItemConstructorOptions[] = [
    { label: 'Cache pulls locally', type: 'checkbox', checked: state.cacheEnabled, click: () => commands.setCacheEnabled(!state.cacheEnabled) },
    { type: 'separator' },
  ];
  if (cache === undefined) items.push(info('State not read yet'));
  else {
    items.push(info(`${size(cache.totalBytes)} of ${size(cache.maxSizeBytes)} used`));
    if (cache.error) items.push(info(text(`Cannot read the caches: ${cache.error}`)));
    items.push(...cache.registries.map((r) => info(cacheRegistryLabel(r))));
  }
  items.push({ type: 'separator' }, { label: 'Clear cache', enabled: (cache?.totalBytes ?? 0) > 0 || (cache?.registries.some((r) => r.container) ?? false), click: () => commands.clearCache() });
  const problem = cache?.registries.some((r) => r.state === 'error');
  return { label: `Local cache${state.cacheEnabled ? '' : ' (off)'}${problem ? ' (error)' : ''}`, submenu: items };
}

export function trayMenu(state: TrayState, commands: TrayCommands): MenuItemConstructorOptions[] {
  const enabled = state.status.enabled;
  const rules: MenuItemConstructorOptions[] = state.rules.length === 0
    ? [info('No rules yet: add one in Edit Rules…')]
    : state.rules.map((rule, index) => ({
      label: ruleLabel(rule),
      type: 'checkbox',
      checked: rule.enabled,
      click: () => commands.setRuleEnabled(index, !rule.enabled),
    }));
  const pulls: MenuItemConstructorOptions[] = state.recentPulls.length === 0
    ? []
    : [
      { type: 'separator' },
      info('Recent pulls'),
      ...state.recentPulls.map((pull): MenuItemConstructorOptions => ({ label: recentPullLabel(pull), click: () => commands.openView('inspector') })),
    ];
  // Switching docker to a socket nobody serves would break every docker command; switching back is always allowed.
  const contextSwitchable = state.dockerContextActive || state.status.listening !== null;

  return [
    ...statusLines(state),
    { type: 'separator' },
    { label: 'Redirect pulls', type: 'checkbox', checked: enabled, click: () => commands.setEnabled(!enabled) },
    info('Rules'),
    ...rules,
    cacheMenu(state, commands),
    ...pulls,
    { type: 'separator' },
    { label: 'Open Inspector', click: () => commands.openView('inspector') },
    { label: 'Edit Rules…', click: () => commands.openView('rules') },
    { type: 'separator' },
    {
      label: 'Use docker-caching for docker commands',
      type: 'checkbox',
      checked: state.dockerContextActive,
      enabled: contextSwitchable,
      click: () => commands.useDockerContext(!state.dockerContextActive),
    },
    {
      label: 'Notify when a pull falls back or fails',
      type: 'checkbox',
      checked: state.notifications,
      click: () => commands.setNotifications(!state.notifications),
    },
    state.startAtLogin === null
      ? { label: 'Start at login (installed app only)', type: 'checkbox', checked: false, enabled: false }
      : { label: 'Start at login', type: 'checkbox', checked: state.startAtLogin, click: () => commands.setStartAtLogin(!state.startAtLogin) },
    { type: 'separator' },
    { label: 'Quit docker-caching', click: () => commands.quit() },
  ];
}
