// The app window (inspector and rule editor are two views of it): created on first use, shown
// when painted, hidden rather than closed, told which view to show. Never destroys it unless quitting.
import type { View } from '#shared/ipc';
import type { SendToWindow, WindowFeed } from './event-batcher';
import { APP_ORIGIN } from './security';

/** The part of a BrowserWindow this uses. */
export interface AppWindow {
  show(): void;
  hide(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  loadURL(url: string): Promise<void>;
  send: SendToWindow;
  on(event: 'close', listener: (event: { preventDefault(): void }) => void): void;
  on(event: 'ready-to-show' | 'show' | 'hide' | 'minimize' | 'restore' | 'closed', listener: () => void): void;
}

export interface WindowManagerDeps {
  create(): AppWindow;
  /** Starts pushing engine events to a window (event-batcher's EngineEvents.attach). */
  attach(send: SendToWindow, visible: boolean): { feed: WindowFeed; detach: () => void };
  /** True once the user chose Quit: then windows really close. */
  isQuitting(): boolean;
  report(message: string): void;
  origin?: string;
}

/** The page URL for a view: the view rides in the hash, so the page knows it before any IPC. */
export function viewUrl(view: View, origin: string = APP_ORIGIN): string {
  return `${origin}/index.html#${view}`;
}

/** What closing the window does: hide it (the app lives in the tray), unless the app is quitting. */
export function closeAction(quitting: boolean): 'hide' | 'close' {
  return quitting ? 'close' : 'hide';
}

export class WindowManager {
  private current: { window: AppWindow; ready: boolean; view: View } | null = null;

  constructor(private readonly deps: WindowManagerDeps) {}

  /** Shows the window on a view, creating it the first time. */
  show(view: View): void {
    if (this.current === null) {
      this.open(view);
      return;
    }
    const { window, ready } = this.current;
    if (view !== this.current.view && ready) window.send('view.show', view);
    this.current.view = view;
    if (!ready) return; // ready-to-show shows it on the latest view asked for
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }

  get window(): AppWindow | null {
    return this.current?.window ?? null;
  }

  private open(view: View): void {
    const window = this.deps.create();
    const { feed, detach } = this.deps.attach(window.send, false);
    const current = { window, ready: false, view };
    this.current = current;

    window.on('ready-to-show', () => {
      current.ready = true;
      if (current.view !== view) window.send('view.show', current.view);
      window.show();
      window.focus();
    });
    window.on('close', (event) => {
      if (closeAction(this.deps.isQuitting()) === 'hide') {
        event.preventDefault();
        window.hide();
      }
    });
    window.on('show', () => feed.setVisible(true));
    window.on('restore', () => feed.setVisible(true));
    window.on('hide', () => feed.setVisible(false));
    window.on('minimize', () => feed.setVisible(false));
    window.on('closed', () => {
      detach();
      if (this.current === current) this.current = null;
    });
    window.loadURL(viewUrl(view, this.deps.origin)).catch((err: Error) => {
      this.deps.report(`cannot load the docker-caching window (${err.message}): reinstall the app or run npm run build`);
    });
  }
}
