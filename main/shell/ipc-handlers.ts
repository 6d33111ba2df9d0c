// What each invoke channel does, over the engine and the few desktop services it needs.
// Requests arrive validated (register-ipc.ts); never opens a link that is not allow-listed.
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
  };
}
