// The engine's status as main reports it (socket, upstream health, master switch, counters),
// and the master switch itself, flipped optimistically and put back when main refuses.
import type { StateCreator } from 'zustand';
import type { Status } from '../../shared/ipc';
import { invoke } from '../api';
import type { AppState } from './store';

export interface StatusSlice {
  status: Status | null;
  statusError: string | null;
  switching: boolean;
  receiveStatus(status: Status): void;
  loadStatus(): Promise<void>;
  setEnabled(enabled: boolean): Promise<void>;
}

export const createStatusSlice: StateCreator<AppState, [], [], StatusSlice> = (set, get) => ({
  status: null,
  statusError: null,
  switching: false,
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
});
