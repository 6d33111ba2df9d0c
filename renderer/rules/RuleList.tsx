// The ordered list of rules: select one to edit it, switch it on or off, add one, reorder by
// dragging or with Alt+ArrowUp/Down (ArrowUp/Down move between rules).
import { useEffect, useRef, useState, type DragEvent, type KeyboardEvent, type ReactElement } from 'react';
import { isBlockRule, type Rule } from '../../shared/config/schema';
import { useApp } from '../store/store';
import { EmptyState, Switch } from '../ui/controls';
import { Icon } from '../ui/icons';
import { draftIssues, issuesUnder } from './validation';

const DRAG_TYPE = 'application/x-docker-caching-rule';

function summary(rule: Rule): string {
  if (isBlockRule(rule)) return 'blocked';
  const [first = '', ...rest] = rule.to;
  return `→ ${first || '(no mirror)'}${rest.length ? ` +${rest.length}` : ''}`;
}

export function RuleList({ announce }: { announce: (text: string) => void }): ReactElement {
  const rules = useApp((s) => s.draft?.rules);
  const ruleKeys = useApp((s) => s.ruleKeys);
  const selected = useApp((s) => s.selectedRule);
  const issues = useApp((s) => draftIssues(s.draft));
  const { selectRule, moveRule, updateRule, addRule } = useApp.getState();
  const buttons = useRef(new Map<number, HTMLButtonElement>());
  const [focusKey, setFocusKey] = useState<number | null>(null);
  const [drop, setDrop] = useState<{ index: number; after: boolean } | null>(null);
  const dragFrom = useRef<number | null>(null);

  // Keep keyboard focus on a rule after it moved or the selection changed by key.
  useEffect(() => {
    if (focusKey === null) return;
    buttons.current.get(focusKey)?.focus();
    // eslint-disable-next-line react-hooks/set-state-in-effect -- a one-shot request: the button to focus exists only after the render that moved it
    setFocusKey(null);
  }, [focusKey, ruleKeys]);

  if (!rules) return <div className="rule-list" />;

  const move = (from: number, to: number): void => {
    if (to < 0 || to >= rules.length || from === to) return;
    moveRule(from, to);
    setFocusKey(ruleKeys[from]!);
    announce(`Moved rule ${rules[from]!.from || from + 1} to position ${to + 1} of ${rules.length}`);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>, index: number): void => {
    const delta = event.key === 'ArrowUp' ? -1 : event.key === 'ArrowDown' ? 1 : 0;
    if (delta !== 0 && event.altKey) {
      event.preventDefault();
      move(index, index + delta);
    } else if (delta !== 0 || event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      const to = event.key === 'Home' ? 0 : event.key === 'End' ? rules.length - 1 : Math.max(0, Math.min(rules.length - 1, index + delta));
      selectRule(to);
      setFocusKey(ruleKeys[to]!);
    }
  };

  const onDragOver = (event: DragEvent<HTMLLIElement>, index: number): void => {
    if (dragFrom.current === null) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    const rect = event.currentTarget.getBoundingClientRect();
    const after = event.clientY > rect.top + rect.height / 2;
    if (drop?.index !== index || drop.after !== after) setDrop({ index, after });
  };

  const onDrop = (event: DragEvent<HTMLLIElement>): void => {
    event.preventDefault();
    const from = dragFrom.current;
    if (from !== null && drop) {
      const target = drop.index + (drop.after ? 1 : 0);
      move(from, target > from ? target - 1 : target);
    }
    dragFrom.current = null;
    setDrop(null);
  };

  return (
    <div className="rule-list">
      <div className="pane-head">
        <h2 id="rules-heading">Rules <span className="muted">{rules.length}</span></h2>
        <span className="muted small">First match by longest prefix</span>
      </div>
      {rules.length === 0 ? (
        <EmptyState title="No rules yet" icon={<Icon name="rules" size={28} />}>
          Every pull goes to its own registry. Add a rule to send pulls to a mirror or to block them.
        </EmptyState>
      ) : (
        <ol className="rules" aria-labelledby="rules-heading">
          {rules.map((rule, index) => {
            const key = ruleKeys[index]!;
            const problems = issuesUnder(issues, `rules.${index}`);
            const dropClass = drop?.index === index ? (drop.after ? ' drop-after' : ' drop-before') : '';
            return (
              <li key={key} className={`rule-item${index === selected ? ' rule-item-selected' : ''}${rule.enabled ? '' : ' rule-item-off'}${dropClass}`}
                draggable onDragStart={(e) => {
                  dragFrom.current = index;
                  e.dataTransfer.effectAllowed = 'move';
                  e.dataTransfer.setData(DRAG_TYPE, String(index));
                }}
                onDragOver={(e) => onDragOver(e, index)} onDrop={onDrop}
                onDragEnd={() => { dragFrom.current = null; setDrop(null); }}>
                <span className="grip" aria-hidden="true" title="Drag to reorder"><Icon name="grip" /></span>
                <button type="button" className="rule-select" aria-current={index === selected ? 'true' : undefined}
                  ref={(el) => { if (el) buttons.current.set(key, el); else buttons.current.delete(key); }}
                  tabIndex={index === selected ? 0 : -1}
                  aria-keyshortcuts="Alt+ArrowUp Alt+ArrowDown" aria-describedby="rule-move-hint"
                  onClick={() => selectRule(index)} onKeyDown={(e) => onKeyDown(e, index)}>
                  <span className="rule-n">{index + 1}</span>
                  <span className="rule-text">
                    {rule.name && <span className="rule-name">{rule.name}</span>}
                    <code className="rule-from">{rule.from || <em className="muted">no prefix yet</em>}</code>
                    <span className={`rule-to${isBlockRule(rule) ? ' rule-to-block' : ''}`}>{summary(rule)}</span>
                  </span>
                  {problems > 0 && <span className="rule-problems" title={`${problems} problem${problems > 1 ? 's' : ''}`}><Icon name="alert" /><span className="sr-only">{problems} problems</span></span>}
                </button>
                <Switch compact checked={rule.enabled} label={`Rule ${index + 1} enabled`}
                  onChange={(enabled) => updateRule(index, { ...rule, enabled })} />
              </li>
            );
          })}
        </ol>
      )}
      <p id="rule-move-hint" className="sr-only">Alt plus Arrow Up or Arrow Down moves the rule.</p>
      <div className="rule-list-actions">
        <button type="button" className="button" onClick={() => addRule('mirror')}><Icon name="plus" /> Mirror rule</button>
        <button type="button" className="button" onClick={() => addRule('block')}><Icon name="plus" /> Block rule</button>
      </div>
    </div>
  );
}
