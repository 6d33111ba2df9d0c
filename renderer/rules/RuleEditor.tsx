// The rule editor: the save bar (Save with Ctrl/Cmd+S, Revert, unsaved state, "Saved"), banners
// for changes made on disk while editing, a refused save and an undoable delete, the rule list,
// the form for the selected rule, the local cache's settings and "Try an image". An invalid file is told in the alert area.
import { useCallback, useMemo, useState, type ReactElement } from 'react';
import { selectDirty } from '../store/config-slice';
import { useApp } from '../store/store';
import { EmptyState } from '../ui/controls';
import { Icon } from '../ui/icons';
import { RuleForm, type Touched } from './RuleForm';
import { CacheForm } from './CacheForm';
import { RuleList } from './RuleList';
import { TryImage } from './TryImage';
import { draftIssues } from './validation';

function SaveBar(): ReactElement {
  const dirty = useApp(selectDirty);
  const saving = useApp((s) => s.saving);
  const issues = useApp((s) => draftIssues(s.draft));
  const saveAttempted = useApp((s) => s.saveAttempted);
  const path = useApp((s) => s.saved?.path ?? '');
  const revision = useApp((s) => s.saved?.revision ?? 0);
  const savedAt = useApp((s) => s.savedAt);
  const fileInvalid = useApp((s) => s.saved?.error !== undefined);
  const { save, revert } = useApp.getState();
  const showSaved = savedAt !== null;
  return (
    <div className="savebar" role="region" aria-label="Save changes">
      <div className="savebar-file">
        <span className="muted small">Config file</span>
        <code className="small" title={`revision ${revision}`}>{path}</code>
      </div>
      <span className="toolbar-spacer" />
      <span role="status" className="save-state">
        {dirty ? <span className="unsaved"><span className="dot dot-warn" aria-hidden="true" /> Unsaved changes</span>
          : showSaved ? <span className="saved"><Icon name="check" /> Saved</span> : null}
      </span>
      {saveAttempted && issues.length > 0 && (
        <span className="savebar-problems" role="alert">Fix {issues.length === 1 ? 'the problem' : `${issues.length} problems`} before saving</span>
      )}
      <button type="button" className="button" disabled={!dirty || saving} onClick={revert}><Icon name="undo" /> Revert</button>
      <button type="button" className="button button-primary" disabled={!dirty || saving || fileInvalid} onClick={() => void save()}
        aria-keyshortcuts="Control+S Meta+S" title={fileInvalid ? 'The file on disk has a problem: fix it, or replace it from the alert above' : 'Save (Ctrl+S)'}>
        <Icon name="save" /> {saving ? 'Saving…' : 'Save'}
      </button>
    </div>
  );
}

function Banners(): ReactElement {
  const incoming = useApp((s) => s.incoming);
  const saveError = useApp((s) => s.saveError);
  const deleted = useApp((s) => s.deleted);
  const { reloadIncoming, overwriteIncoming, undoDelete } = useApp.getState();
  return (
    <>
      {incoming && (
        <div className="banner banner-warn" role="alert">
          <Icon name="refresh" />
          <span>The config file changed on disk while you were editing (revision {incoming.revision}). Load it and lose your changes, or save yours over it?</span>
          <span className="toolbar-spacer" />
          <button type="button" className="button" onClick={reloadIncoming}>Load from disk</button>
          <button type="button" className="button button-primary" onClick={() => void overwriteIncoming()}>Save mine over it</button>
        </div>
      )}
      {deleted && (
        <div className="banner banner-info" role="status">
          <span>Deleted the rule for <code>{deleted.rule.from || 'a new rule'}</code> (not saved yet).</span>
          <button type="button" className="button button-small" onClick={undoDelete}><Icon name="undo" /> Undo</button>
        </div>
      )}
      {saveError && (
        <div className="banner banner-bad" role="alert">
          <Icon name="alert" /><span>Not saved: {saveError}</span>
        </div>
      )}
    </>
  );
}

export function RuleEditor(): ReactElement {
  const loaded = useApp((s) => s.draft !== null);
  const configError = useApp((s) => s.configError);
  const hasRules = useApp((s) => (s.draft?.rules.length ?? 0) > 0);
  const [touchedSet, setTouchedSet] = useState<ReadonlySet<string>>(new Set());
  const [announcement, setAnnouncement] = useState('');
  const touch = useCallback((field: string) => setTouchedSet((t) => (t.has(field) ? t : new Set(t).add(field))), []);
  const touched: Touched = useMemo(() => ({ has: (f) => touchedSet.has(f), touch }), [touchedSet, touch]);

  if (!loaded) {
    return (
      <div className="rules-view" id="view-rules" role="tabpanel" aria-labelledby="tab-rules">
        <EmptyState title={configError ? 'Could not load the rules' : 'Loading the rules…'}>{configError}</EmptyState>
      </div>
    );
  }
  return (
    <div className="rules-view" id="view-rules" role="tabpanel" aria-labelledby="tab-rules">
      <SaveBar />
      <Banners />
      <div className="rules-body">
        <RuleList announce={setAnnouncement} />
        <div className="rule-form-wrap">
          {hasRules ? <RuleForm touched={touched} /> : (
            <EmptyState title="Nothing to edit yet" icon={<Icon name="rules" size={28} />}>
              A mirror rule sends matching pulls to the mirrors you list, in order; a block rule refuses them with your message.
            </EmptyState>
          )}
          <CacheForm />
        </div>
        <TryImage />
      </div>
      <div className="sr-only" role="status" aria-live="polite">{announcement}</div>
    </div>
  );
}
