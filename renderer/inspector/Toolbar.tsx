// The inspector's toolbar: search and filters (action chips, method, status, endpoint, image,
// "pulls only"), pause/resume, clear and export. Text filters apply after a short pause in
// typing, since each change re-filters up to 100,000 rows.
import { useEffect, useState, type ReactElement } from 'react';
import type { LogAction } from '../../shared/log';
import { isEmptyLogFilter, statusClasses, type LogFilter, type StatusClass } from '../../shared/log-filter';
import { useApp } from '../store/store';
import { actionLabels } from '../ui/controls';
import { Icon } from '../ui/icons';
import { exportHar, exportNdjson } from './export';
import { routeNames } from './routes';

const TYPING_PAUSE_MS = 150;
const actions = Object.keys(actionLabels) as LogAction[];
const methods = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD'];

function TextFilter({ field, label, placeholder, icon }: { field: 'text' | 'image'; label: string; placeholder: string; icon?: boolean }): ReactElement {
  const value = useApp((s) => s.filter[field]);
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
    const t = setTimeout(() => setFilter({ [field]: draft } as Partial<LogFilter>), TYPING_PAUSE_MS);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only typing restarts the pause; a new value from outside is not typing
  }, [draft]);
  return (
    <label className={`field field-${field}`}>
      {icon && <Icon name="search" />}
      <input type="search" aria-label={label} placeholder={placeholder} value={draft} spellCheck={false}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => { if (e.key === 'Escape' && draft) { e.stopPropagation(); setDraft(''); } }} />
    </label>
  );
}

function Select<T extends string>({ label, value, options, onChange, any }: {
  label: string; value: readonly T[]; options: readonly T[]; onChange: (v: T[]) => void; any: string;
}): ReactElement {
  return (
    <select className="select" aria-label={label} value={value[0] ?? ''}
      onChange={(e) => onChange(e.target.value ? [e.target.value as T] : [])}>
      <option value="">{any}</option>
      {options.map((o) => <option key={o} value={o}>{o}</option>)}
    </select>
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
      <div className="toolbar-row">
        <TextFilter field="text" label="Search requests" placeholder="Search path, image, rule, error…" icon />
        <TextFilter field="image" label="Filter by image" placeholder="Image" />
        <Select label="Filter by method" any="Any method" value={filter.methods} options={methods} onChange={(v) => setFilter({ methods: v })} />
        <Select<StatusClass> label="Filter by status" any="Any status" value={filter.statusClasses} options={statusClasses} onChange={(v) => setFilter({ statusClasses: v })} />
        <Select label="Filter by endpoint" any="Any endpoint" value={filter.routes} options={routeNames} onChange={(v) => setFilter({ routes: v })} />
        <span className="toolbar-spacer" />
        <button type="button" className="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          <Icon name={paused ? 'play' : 'pause'} /> {paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" className="button" disabled={held === 0} onClick={() => void clearLogs()}>
          <Icon name="trash" /> Clear
        </button>
        <Exports />
      </div>
      <div className="toolbar-row">
        <button type="button" className="chip chip-pulls" aria-pressed={filter.pullsOnly} onClick={() => setFilter({ pullsOnly: !filter.pullsOnly })}>
          <Icon name="layers" size={12} /> Pulls only
        </button>
        <span className="toolbar-sep" aria-hidden="true" />
        <ActionChips />
        {!isEmptyLogFilter(filter) && (
          <button type="button" className="link-button" onClick={resetFilter}><Icon name="close" size={12} /> Clear filters</button>
        )}
      </div>
    </div>
  );
}
