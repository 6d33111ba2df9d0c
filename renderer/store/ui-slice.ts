// Which of the window's two views is showing: first the one named in the URL's hash (main
// opens `index.html#rules` for "Edit Rules…"), then whatever main asks with `view.show`; and
// how wide the user made the inspector's detail pane.
import type { StateCreator } from 'zustand';
import type { View } from '#shared/ipc';
import type { AppState } from './store';

export interface UiSlice {
  view: View;
  /** Width of the request detail pane in CSS pixels (the split is dragged or moved with the arrow keys). */
  detailWidth: number;
  showView(view: View): void;
  setDetailWidth(width: number): void;
}

export const DETAIL_MIN = 320;
export const DETAIL_MAX = 900;

const viewInUrl = (): View => (globalThis.location?.hash === '#rules' ? 'rules' : 'inspector');

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set) => ({
  view: viewInUrl(),
  detailWidth: 480,
  showView: (view) => set({ view }),
  setDetailWidth: (width) => set({ detailWidth: Math.round(Math.max(DETAIL_MIN, Math.min(DETAIL_MAX, width))) }),
});
