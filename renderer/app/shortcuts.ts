// The window's keyboard shortcuts: `/` goes to the search box of the view, Ctrl/Cmd+S saves
// the rules, Escape closes the request detail. Never steals a key while the user types.
import { useEffect } from 'react';
import { useApp } from '../store/store';

const typing = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

/** The element the skip link and `/` lead to in each view. */
export const searchBoxId = { inspector: 'request-search', rules: 'try-image-input' } as const;

export function focusMainContent(): void {
  const target = document.querySelector<HTMLElement>('[data-skip-target]') ?? document.getElementById('main-content');
  target?.focus();
}

export function useShortcuts(): void {
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent): void => {
      const state = useApp.getState();
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 's') {
        // The browser's "Save page" means nothing here; saving the rules does.
        event.preventDefault();
        if (state.view === 'rules') void state.save();
        return;
      }
      if (event.key === '/' && !event.ctrlKey && !event.metaKey && !event.altKey && !typing(event.target)) {
        const box = document.getElementById(searchBoxId[state.view]);
        if (box) {
          event.preventDefault();
          box.focus();
        }
        return;
      }
      if (event.key === 'Escape' && state.view === 'inspector' && state.detailOpen && !typing(event.target) && !event.defaultPrevented) {
        state.setDetailOpen(false);
        document.querySelector<HTMLElement>('.list')?.focus();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);
}
