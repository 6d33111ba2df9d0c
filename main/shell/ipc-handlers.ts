// What each invoke channel does, over the engine and the few desktop services it needs.
// Requests arrive validated (register-ipc.ts); never opens a link that is not allow-listed,
// and opens no file but the config's own (the page never names a path).
import type { Engine } from '../engine/engine';
import type { InvokeHandlers } from './register-ipc';
import { externalUrlAllowed, externalUrlRefused } from './security';

export interface DesktopServices {
  /** Opens a link in the user's browser (`shell.openExternal`). */
  openExternal(url: string): Promise<void>;
  /** Puts text on the clipboard. */
  copyText(text: string): void;
  /** The log was cleared: tell the windows. */
  logsCleared(): void;
  /** Opens a file with the desktop's default application (`shell.openPath`): '' or the error. */
  openPath(path: string): Promise<string>;
  /** Shows a file selected in the file manager (`shell.showItemInFolder`). */
  showItemInFolder(path: string): void;
  /** Points docker commands at the proxy (or back); returns why it could not, when it could not. */
  useDockerContext(on: boolean): string | undefined;
}

export function engineHandlers(engine: Engine, desktop: DesktopServices): InvokeHandlers {
  return {
    'status.get': () => engine.status(),
    'config.get': () => engine.config.get(),
    'config.save': ({ config, baseRevision }) => engine.config.save(config, baseRevision),
    'config.setEnabled': (enabled) => engine.config.setEnabled(enabled),
    'config.setRuleEnabled': ({ index, enabled }) => engine.config.setRuleEnabled(index, enabled),
    'logs.snapshot': (request) => ({
      entries: engine.logs.snapshot(request?.limit),
      dropped: engine.logs.dropped,
      lastSeq: engine.logs.lastSeq,
    }),
    'logs.detail': (seq) => engine.logs.detail(seq),
    'logs.clear': () => {
      engine.logs.clear();
      desktop.logsCleared();
    },
    'mirror.check': (location) => engine.checkMirror(location),
    'app.openExternal': async (url) => {
      if (!externalUrlAllowed(url)) throw new Error(externalUrlRefused(url));
      await desktop.openExternal(url);
    },
    'app.copyText': (text) => desktop.copyText(text),
    'engine.retry': () => engine.recheckUpstream(),
    'config.openFile': async () => {
      const path = engine.config.get().path;
      const problem = await desktop.openPath(path);
      if (problem) throw new Error(`could not open ${path}: ${problem}`);
    },
    'config.showInFolder': () => desktop.showItemInFolder(engine.config.get().path),
    'config.replaceInvalidFile': ({ rules }) => engine.config.replaceInvalidFile(rules),
    'dockerContext.set': (on) => {
      const problem = desktop.useDockerContext(on);
      if (problem) throw new Error(problem);
      return engine.status();
    },
  };
}
