// The engine's status as main reports it (socket, upstream health, master switch, counters),
// the master switch itself (flipped optimistically, put back when main refuses), asking the
// engine again (Retry) and switching the docker context from the window.
import type { StateCreator } from 'zustand';
import type { Status } from '#shared/ipc';
import { invoke } from '../api';
import type { AppState } from './store';

export interface StatusSlice {
  status: Status | null;
  statusError: string | null;
  switching: boolean;
  retrying: boolean;
  /** Why the last docker-context switch from the window failed. */
  contextError: string | null;
  receiveStatus(status: Status): void;
  loadStatus(): Promise<void>;
  setEnabled(enabled: boolean): Promise<void>;
  retryEngine(): Promise<void>;
  setDockerContext(on: boolean): Promise<void>;
}

export const createStatusSlice: StateCreator<AppState, [], [], StatusSlice> = (set, get) => ({
  status: null,
  statusError: null,
  switching: false,
  retrying: false,
  contextError: null,
  receiveStatus: (status) => set({ status, statusError: null }),
  loadStatus: async () => {
    const result = await invoke('status.get');
    if (result.ok) set({ status: result.value, statusError: null });
    else set({ statusError: `could not read the engine's status: ${result.error}` });
  },
  setEnabled: async (enabled) => {
    const before = get().status;
    if (before) set({ status: { ...before, enabled } });
    set({ switching: true });
    const result = await invoke('config.setEnabled', enabled);
    set({ switching: false });
    if (result.ok) {
      get().receiveConfig(result.value);
    } else {
      const now = get().status;
      if (now && before) set({ status: { ...now, enabled: before.enabled } });
      set({ statusError: `could not turn redirection ${enabled ? 'on' : 'off'}: ${result.error}` });
    }
  },
  retryEngine: async () => {
    set({ retrying: true });
    const result = await invoke('engine.retry');
    set({ retrying: false });
    if (result.ok) set({ status: result.value, statusError: null });
    else set({ statusError: `could not ask the engine again: ${result.error}` });
  },
  setDockerContext: async (on) => {
    const result = await invoke('dockerContext.set', on);
    if (result.ok) set({ status: result.value, contextError: null });
    else set({ contextError: result.error });
  },
});
