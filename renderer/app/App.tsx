// The window: the header strip and the view that is showing. Warns before the page unloads
// with unsaved rule changes.
import { useEffect, type ReactElement } from 'react';
import { Inspector } from '../inspector/Inspector';
import { RuleEditor } from '../rules/RuleEditor';
import { selectDirty } from '../store/config-slice';
import { useApp } from '../store/store';
import { HeaderStrip } from './HeaderStrip';

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
  return (
    <div className="app">
      <HeaderStrip />
      <main className="main">{view === 'inspector' ? <Inspector /> : <RuleEditor />}</main>
    </div>
  );
}
