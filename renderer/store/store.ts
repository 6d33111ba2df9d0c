// The window's one zustand store, built from slices: logs (inspector), config (rule editor
// draft vs saved), status (header strip) and ui (which view shows). Selectors must return
// primitives or objects already in the state, never a fresh object per call.
import { create } from 'zustand';
import { createConfigSlice, type ConfigSlice } from './config-slice';
import { createLogsSlice, type LogsSlice } from './logs-slice';
import { createStatusSlice, type StatusSlice } from './status-slice';
import { createUiSlice, type UiSlice } from './ui-slice';

export type AppState = LogsSlice & ConfigSlice & StatusSlice & UiSlice;

export const useApp = create<AppState>()((...a) => ({
  ...createLogsSlice(...a),
  ...createConfigSlice(...a),
  ...createStatusSlice(...a),
  ...createUiSlice(...a),
}));
