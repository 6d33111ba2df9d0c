// The window: a skip link, the header strip, the alert area, and the view that is showing.
// Warns before the page unloads with unsaved rule changes; owns the keyboard shortcuts.
import { useEffect, type ReactElement } from 'react';
import { Inspector } from '../inspector/Inspector';
import { RuleEditor } from '../rules/RuleEditor';
import { selectDirty } from '../store/config-slice';
import { useApp } from '../store/store';
import { AlertArea } from './AlertArea';
import { HeaderStrip } from './HeaderStrip';
import { focusMainContent, useShortcuts } from './shortcuts';

function useUnsavedChangesGuard(): void {
  const dirty = useApp(selectDirty);
  useEffect(() => {
    if (!dirty) return;
    const guard = (event: BeforeUnloadEvent): void => event.preventDefault();
    window.addEventListener('beforeunload', guard);
    return () => window.removeEventListener('beforeunload', guard);
  }, [dirty]);
}

export function App(): ReactElement {
  const view = useApp((s) => s.view);
  useUnsavedChangesGuard();
  useShortcuts();
  return (
    <div className="app">
      {/* Not a real link target: the hash names the view, so the link moves focus itself. */}
      <a href="#main-content" className="skip-link" onClick={(e) => { e.preventDefault(); focusMainContent(); }}>
        Skip to {view === 'inspector' ? 'the requests' : 'the rules'}
      </a>
      <HeaderStrip />
      <AlertArea />
      <main className="main" id="main-content" tabIndex={-1}>{view === 'inspector' ? <Inspector /> : <RuleEditor />}</main>
    </div>
  );
}
