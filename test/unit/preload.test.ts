import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_NAME, invokeChannels, pushEvents } from '#shared/ipc';
import { buildAndRead } from '../harness/build';

type Listener = (event: unknown, payload: unknown) => void;

let bundle = '';
beforeAll(() => {
  bundle = buildAndRead(['dist/shell/preload.js'])['dist/shell/preload.js']!;
}, 120_000);

/** Evaluates the built preload as a sandboxed renderer would, with fake contextBridge and ipcRenderer. */
function loadPreload() {
  const exposed: Record<string, unknown> = {};
  const invoked: unknown[][] = [];
  const listeners = new Map<string, Listener[]>();
  const electron = {
    contextBridge: {
      exposeInMainWorld(name: string, value: unknown) {
        if (name in exposed) throw new Error(`Cannot bind an API on top of an existing property on the window object: ${name}`);
        exposed[name] = value;
      },
    },
    ipcRenderer: {
      async invoke(channel: string, ...args: unknown[]) {
        invoked.push([channel, ...args]);
        return { ok: true, value: `answer to ${channel}` };
      },
      on(channel: string, listener: Listener) {
        listeners.set(channel, [...(listeners.get(channel) ?? []), listener]);
      },
      removeListener(channel: string, listener: Listener) {
        listeners.set(channel, (listeners.get(channel) ?? []).filter((l) => l !== listener));
      },
    },
  };
  // A sandboxed preload can require little; ours needs electron only.
  const require = (id: string) => {
    if (id === 'electron') return electron;
    throw new Error(`module not found: ${id}`);
  };
  const module = { exports: {} };
  runInNewContext(bundle, { require, module, exports: module.exports, console });
  const emit = (channel: string, payload: unknown) => {
    for (const listener of listeners.get(channel) ?? []) listener({ sender: 'the ipc event must not reach the page' }, payload);
  };
  return { exposed, invoked, listeners, emit };
}

type Api = {
  invoke(channel: string, ...args: unknown[]): Promise<{ ok: boolean; value?: unknown; error?: string }>;
  on(event: string, listener: (payload: unknown) => void): () => void;
};

describe('preload bundle', () => {
  it('needs nothing but electron and exposes exactly one object, window.dockerCaching', () => {
    const { exposed } = loadPreload();
    expect(Object.keys(exposed)).toEqual([API_NAME]);
    expect(Object.keys(exposed[API_NAME] as object).sort()).toEqual(['invoke', 'on']);
    expect(bundle).not.toMatch(/require\((?!"electron"\))/);
  });

  it('forwards every contract channel to ipcRenderer.invoke with its request', async () => {
    const { exposed, invoked } = loadPreload();
    const api = exposed[API_NAME] as Api;
    for (const channel of Object.keys(invokeChannels)) {
      expect(await api.invoke(channel, { probe: channel })).toEqual({ ok: true, value: `answer to ${channel}` });
    }
    await api.invoke('status.get');
    expect(invoked).toEqual([...Object.keys(invokeChannels).map((channel) => [channel, { probe: channel }]), ['status.get']]);
  });

  it('refuses channels that are not in the contract without touching IPC', async () => {
    const { exposed, invoked } = loadPreload();
    const api = exposed[API_NAME] as Api;
    for (const channel of ['ELECTRON_BROWSER_REQUIRE', 'shell.openExternal', '__proto__', 'constructor', 'toString', '']) {
      const reply = await api.invoke(channel, 'x');
      expect(reply.ok).toBe(false);
      expect(reply.error).toMatch(/^docker-caching has no ".*" request: use one of status\.get, /);
    }
    expect(invoked).toEqual([]);
  });

  it('delivers pushed events as their payload only, and on() returns an unsubscribe', () => {
    const { exposed, emit, listeners } = loadPreload();
    const api = exposed[API_NAME] as Api;
    const seen: unknown[] = [];
    const unsubscribe = api.on('status.changed', (payload) => seen.push(payload));
    const other: unknown[] = [];
    api.on('status.changed', (payload) => other.push(payload));
    emit('status.changed', { enabled: true });
    expect(seen).toEqual([{ enabled: true }]);

    unsubscribe();
    emit('status.changed', { enabled: false });
    expect(seen).toEqual([{ enabled: true }]);
    expect(other).toEqual([{ enabled: true }, { enabled: false }]);
    unsubscribe();
    expect(listeners.get('status.changed')).toHaveLength(1);
  });

  it('lets the page listen to every contract event and to nothing else', () => {
    const { exposed, listeners } = loadPreload();
    const api = exposed[API_NAME] as Api;
    for (const event of pushEvents) api.on(event, () => {});
    expect([...listeners.keys()].sort()).toEqual([...pushEvents].sort());
    for (const event of ['ELECTRON_RENDERER_IPC', 'logs.detail', '__proto__']) {
      expect(() => api.on(event, () => {})).toThrow(/^docker-caching sends no ".*" event: listen to one of logs\.batch, /);
    }
    expect(listeners.size).toBe(pushEvents.length);
  });
});
