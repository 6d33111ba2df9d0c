// The inspector's toolbar: one filter box (free words plus `image:`, `status:`, `rule:`,
// `method:`, `endpoint:` words) beside the "pulls only" and action chips, pause/resume, clear
// and export. The box applies after a short pause in typing, since each change re-filters up
// to 100,000 rows.
import { useEffect, useState, type ReactElement } from 'react';
import type { LogAction } from '#shared/log';
import { isEmptyLogFilter } from '#shared/log-filter';
import { searchBoxId } from '../app/shortcuts';
import { useApp } from '../store/store';
import { actionLabels } from '../ui/controls';
import { Icon } from '../ui/icons';
import { exportHar, exportNdjson } from './export';

const TYPING_PAUSE_MS = 150;
const actions = Object.keys(actionLabels) as LogAction[];

function FilterBox(): ReactElement {
  const value = useApp((s) => s.filter.text);
  const setFilter = useApp((s) => s.setFilter);
  const [draft, setDraft] = useState(value);
  // The draft follows a value changed from outside (clear filters), adjusted while rendering.
  const [shown, setShown] = useState(value);
  if (shown !== value) {
    setShown(value);
    setDraft(value);
  }
  useEffect(() => {
    if (draft === value) return;
    const t = setTimeout(() => setFilter({ text: draft }), TYPING_PAUSE_MS);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only typing restarts the pause; a new value from outside is not typing
  }, [draft]);
  return (
    <label className="field field-text">
      <Icon name="search" />
      <input type="search" id={searchBoxId.inspector} aria-label="Filter requests" aria-describedby="filter-hint" aria-keyshortcuts="/"
        placeholder="Filter, e.g. status:failed image:redis" value={draft} spellCheck={false}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => { if (e.key === 'Escape' && draft) { e.stopPropagation(); e.preventDefault(); setDraft(''); } }} />
      <span id="filter-hint" className="sr-only">
        Words that must all appear; image:, status:, rule:, method: and endpoint: words look only there. Press slash to come back here.
      </span>
    </label>
  );
}

function ActionChips(): ReactElement {
  const selected = useApp((s) => s.filter.actions);
  const setFilter = useApp((s) => s.setFilter);
  const toggle = (a: LogAction): void =>
    setFilter({ actions: selected.includes(a) ? selected.filter((x) => x !== a) : [...selected, a] });
  return (
    <div className="chips" role="group" aria-label="Filter by action">
      {actions.map((a) => (
        <button key={a} type="button" className={`chip chip-${a.replace(' ', '-')}`} aria-pressed={selected.includes(a)} onClick={() => toggle(a)}>
          {actionLabels[a]}
        </button>
      ))}
    </div>
  );
}

function Exports(): ReactElement {
  const shown = useApp((s) => s.logShown);
  const [busy, setBusy] = useState(false);
  const har = async (): Promise<void> => {
    setBusy(true);
    try {
      await exportHar();
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="button-group" role="group" aria-label="Export the requests shown">
      <button type="button" className="button" disabled={shown === 0} onClick={() => exportNdjson()} title="Export the requests shown as NDJSON">
        <Icon name="download" /> NDJSON
      </button>
      <button type="button" className="button" disabled={shown === 0 || busy} onClick={() => void har()} title="Export the requests shown as HAR">
        <Icon name="download" /> {busy ? 'HAR…' : 'HAR'}
      </button>
    </div>
  );
}

export function Toolbar(): ReactElement {
  const filter = useApp((s) => s.filter);
  const setFilter = useApp((s) => s.setFilter);
  const resetFilter = useApp((s) => s.resetFilter);
  const paused = useApp((s) => s.paused);
  const setPaused = useApp((s) => s.setPaused);
  const clearLogs = useApp((s) => s.clearLogs);
  const held = useApp((s) => s.logHeld);
  return (
    <div className="toolbar" role="toolbar" aria-label="Request filters and actions">
      <FilterBox />
      <button type="button" className="chip chip-pulls" aria-pressed={filter.pullsOnly} onClick={() => setFilter({ pullsOnly: !filter.pullsOnly })}>
        <Icon name="layers" size={12} /> Pulls only
      </button>
      <ActionChips />
      {!isEmptyLogFilter(filter) && (
        <button type="button" className="link-button" onClick={resetFilter}><Icon name="close" size={12} /> Clear filters</button>
      )}
      <span className="toolbar-spacer" />
      <button type="button" className="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
        <Icon name={paused ? 'play' : 'pause'} /> {paused ? 'Resume' : 'Pause'}
      </button>
      <button type="button" className="button" disabled={held === 0} onClick={() => void clearLogs()}>
        <Icon name="trash" /> Clear
      </button>
      <Exports />
    </div>
  );
}
