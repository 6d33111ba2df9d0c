// What each invoke channel does, over the engine and the few desktop services it needs.
// Requests arrive validated (register-ipc.ts); never opens a link that is not allow-listed,
// opens no file but the config's own (the page never names a path), never lets the renderer
// change a file-only setting (where docker requests go, where we listen, who may connect)
// and never probes a host that is not in the saved rules or the draft main holds, nor more
// often than mirror-check-gate.ts allows.
import type { Config } from '#shared/config/schema';
import { isBlockRule } from '#shared/config/schema';
import type { Engine } from '../engine/engine';
import type { InvokeHandlers } from './register-ipc';
import { externalUrlAllowed, externalUrlRefused } from './security';
import { MirrorCheckGate } from './mirror-check-gate';

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

export function engineHandlers(engine: Engine, desktop: DesktopServices, checks = new MirrorCheckGate()): InvokeHandlers {
  return {
    'status.get': () => engine.status(),
    'config.get': () => engine.config.get(),
    'config.save': ({ config, baseRevision }) => {
      const state = engine.config.get();
      const refused = fileOnlyChanges(state.config, config);
      if (refused.length > 0) {
        throw new Error(`${refused.join(', ')} can only be changed in the config file (${state.path}), not from the app; nothing was saved`);
      }
      return engine.config.save(config, baseRevision);
    },
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
    'rules.draft': ({ mirrors }) => checks.setDraft(mirrors),
    'mirror.check': ({ location }) => {
      const refused = checks.admit(location, savedMirrors(engine.config.get().config));
      if (refused !== null) throw new Error(refused);
      return engine.checkMirror(location);
    },
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

/** What the app may change over IPC; everything else in the config is the file's alone. */
const SETTABLE_OVER_IPC: ReadonlySet<string> = new Set<keyof Config>(['rules', 'enabled', 'notifications', 'cache']);

/** The top-level settings `draft` changes that only the config file may change (upstream, listen, group, …). */
export function fileOnlyChanges(saved: Config, draft: Config): string[] {
  const keys = new Set([...Object.keys(saved), ...Object.keys(draft)]);
  const value = (c: Config, key: string) => JSON.stringify((c as unknown as Record<string, unknown>)[key]);
  return [...keys].filter((key) => !SETTABLE_OVER_IPC.has(key) && value(saved, key) !== value(draft, key)).sort();
}

function savedMirrors(config: Config): Set<string> {
  return new Set(config.rules.flatMap((rule) => (isBlockRule(rule) ? [] : rule.to)));
}
