// Keeps the tray in step with the engine: on any change, rebuilds the whole menu (debounced)
// and sets it again, with the icon and tooltip. Holds the Tray so it is never garbage-collected.
import type { MenuItemConstructorOptions } from 'electron';
import type { LogDetail } from '#shared/log';
import type { Engine } from '../engine/engine';
import { summary } from '../engine/log/log-store';
import { PullHistory } from './pull-history';
import { trayIconState, trayTooltip, type TrayIconState } from './tray-icon';
import { trayMenu, type TrayCommands } from './tray-menu';

/** The part of Electron's Tray this uses. */
export interface TrayPort<Menu> {
  setContextMenu(menu: Menu): void;
  setImage(icon: string): void;
  setToolTip(text: string): void;
}

export interface TrayControllerDeps<Menu> {
  tray: TrayPort<Menu>;
  /** `Menu.buildFromTemplate` */
  buildMenu(template: MenuItemConstructorOptions[]): Menu;
  /** The icon file for a state on this platform. */
  iconPath(state: TrayIconState): string;
  commands: TrayCommands;
  /** Shell-side state the engine does not know. */
  dockerContextActive(): boolean;
  startAtLogin(): boolean | null;
  debounceMs?: number;
}

export class TrayController<Menu> {
  private readonly history = new PullHistory();
  private readonly unsubscribe: (() => void)[];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private icon: string | null = null;

  constructor(
    private readonly engine: Pick<Engine, 'logs' | 'config' | 'status' | 'onStatus'>,
    private readonly deps: TrayControllerDeps<Menu>,
  ) {
    this.unsubscribe = [
      engine.onStatus(() => this.refresh()),
      engine.config.onChange(() => this.refresh()),
      engine.logs.subscribe((entry, kind) => {
        if (kind !== 'end' || entry.route !== 'pull') return;
        this.history.record(summary(entry as LogDetail));
        this.refresh();
      }),
    ];
    this.render();
  }

  /** Asks for a rebuild; bursts of changes make one (a rebuild also closes an open menu). */
  refresh(): void {
    this.timer ??= setTimeout(() => this.render(), this.deps.debounceMs ?? 250);
  }

  /** Rebuilds now. Linux shows menu changes only when the menu is set again, so it always is. */
  render(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const status = this.engine.status();
    const template = trayMenu({
      status,
      rules: this.engine.config.get().config.rules,
      notifications: this.engine.config.get().config.notifications,
      cacheEnabled: this.engine.config.get().config.cache.enabled,
      recentPulls: this.history.recent(),
      pullsRedirectedToday: this.history.redirectedToday(Date.now()),
      dockerContextActive: this.deps.dockerContextActive(),
      startAtLogin: this.deps.startAtLogin(),
    }, this.deps.commands);
    this.deps.tray.setContextMenu(this.deps.buildMenu(template));
    const icon = this.deps.iconPath(trayIconState(status));
    if (icon !== this.icon) this.deps.tray.setImage(icon);
    this.icon = icon;
    this.deps.tray.setToolTip(trayTooltip(status));
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const off of this.unsubscribe) off();
  }
}
