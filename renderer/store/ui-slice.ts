// Which of the window's two views is showing (main can ask for one with `view.show`).
import type { StateCreator } from 'zustand';
import type { View } from '../../shared/ipc';
import type { AppState } from './store';

export interface UiSlice {
  view: View;
  showView(view: View): void;
}

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set) => ({
  view: 'inspector',
  showView: (view) => set({ view }),
});
