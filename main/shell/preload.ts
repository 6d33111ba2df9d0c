// The bridge every window gets: one object, `window.dockerCaching`, built from the contract's
// channel lists. Never exposes ipcRenderer, an IPC event, or a channel that is not on the lists.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { API_NAME, DockerCachingApi, InvokeChannel, PushEvent, PushEvents, Result } from '#shared/ipc';

// The lists repeat the contract's names so that the sandboxed preload does not bundle zod
// (shared/ipc.ts builds its schemas at load: ~750 kB). The compiler rejects a missing or an
// extra name, and test/unit/preload.test.ts compares the built bundle with the contract.
const invokeNames = [
  'status.get', 'config.get', 'config.save', 'config.setEnabled', 'config.setRuleEnabled',
  'logs.snapshot', 'logs.detail', 'logs.clear', 'rules.draft', 'mirror.check', 'app.openExternal', 'app.copyText',
  'engine.retry', 'config.openFile', 'config.showInFolder', 'config.replaceInvalidFile', 'dockerContext.set',
] as const satisfies readonly InvokeChannel[];
const pushNames = ['logs.batch', 'logs.cleared', 'config.changed', 'status.changed', 'view.show'] as const satisfies readonly PushEvent[];
const apiName: typeof API_NAME = 'dockerCaching';
type AllListed<Listed, All> = [Exclude<All, Listed>] extends [never] ? true : { missing: Exclude<All, Listed> };
const everyInvokeListed: AllListed<(typeof invokeNames)[number], InvokeChannel> = true;
const everyPushListed: AllListed<(typeof pushNames)[number], PushEvent> = true;
void everyInvokeListed;
void everyPushListed;

const invokable: ReadonlySet<string> = new Set(invokeNames);
const pushed: ReadonlySet<string> = new Set(pushNames);

const api = {
  invoke(channel: string, ...request: unknown[]): Promise<Result<unknown>> {
    if (!invokable.has(channel)) {
      return Promise.resolve({ ok: false, error: `docker-caching has no "${channel}" request: use one of ${invokeNames.join(', ')}` });
    }
    return ipcRenderer.invoke(channel, ...request) as Promise<Result<unknown>>;
  },
  on<E extends PushEvent>(event: E, listener: (payload: PushEvents[E]) => void): () => void {
    if (!pushed.has(event)) throw new Error(`docker-caching sends no "${event}" event: listen to one of ${pushNames.join(', ')}`);
    // The page gets the payload only: the IPC event would hand it `sender`.
    const relay = (_event: IpcRendererEvent, payload: PushEvents[E]) => listener(payload);
    ipcRenderer.on(event, relay);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      ipcRenderer.removeListener(event, relay);
    };
  },
} as DockerCachingApi;

contextBridge.exposeInMainWorld(apiName, api);
