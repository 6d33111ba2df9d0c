// Which of the window's two views is showing: first the one named in the URL's hash (main
// opens `index.html#rules` for "Edit Rules…"), then whatever main asks with `view.show`.
import type { StateCreator } from 'zustand';
import type { View } from '../../shared/ipc';
import type { AppState } from './store';

export interface UiSlice {
  view: View;
  showView(view: View): void;
}

const viewInUrl = (): View => (globalThis.location?.hash === '#rules' ? 'rules' : 'inspector');

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set) => ({
  view: viewInUrl(),
  showView: (view) => set({ view }),
});
