// The rule list, shown as the rules match: grouped by registry, the most specific prefix first.
// Select a rule to edit it, switch it on or off, add one. Order in the file matters only between
// rules with the same prefix (the earlier wins), so only those can be moved (Alt+ArrowUp/Down or
// the arrow buttons); ArrowUp/Down move between rules.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactElement } from 'react';
import { isBlockRule, type Rule } from '#shared/config/schema';
import { RulePresetButtons } from '../app/FirstRun';
import { useApp } from '../store/store';
import { EmptyState, Switch } from '../ui/controls';
import { Icon } from '../ui/icons';
import { listedRules, type ListedRule } from './rule-order';
import { draftIssues, issuesUnder } from './validation';

/** Where the rule sends pulls; the arrow is for the eye, screen readers hear "to". */
function Summary({ rule }: { rule: Rule }): ReactElement {
  if (isBlockRule(rule)) return <>blocked</>;
  const [first = '', ...rest] = rule.to;
  return <><span aria-hidden="true">→ </span><span className="sr-only">to </span>{first || '(no mirror)'}{rest.length ? ` +${rest.length}` : ''}</>;
}

export function RuleList({ announce }: { announce: (text: string) => void }): ReactElement {
  const rules = useApp((s) => s.draft?.rules);
  const ruleKeys = useApp((s) => s.ruleKeys);
  const selected = useApp((s) => s.selectedRule);
  const issues = useApp((s) => draftIssues(s.draft));
  const fileInvalid = useApp((s) => s.saved?.error !== undefined);
  const { selectRule, moveRule, updateRule, addRule } = useApp.getState();
  const buttons = useRef(new Map<number, HTMLButtonElement>());
  const [focusKey, setFocusKey] = useState<number | null>(null);
  const listed = useMemo(() => listedRules(rules ?? []), [rules]);

  // Keep keyboard focus on a rule after it moved or the selection changed by key.
  useEffect(() => {
    if (focusKey === null) return;
    buttons.current.get(focusKey)?.focus();
    // eslint-disable-next-line react-hooks/set-state-in-effect -- a one-shot request: the button to focus exists only after the render that moved it
    setFocusKey(null);
  }, [focusKey, ruleKeys]);

  if (!rules) return <div className="rule-list" />;

  /** Moves a rule before or after the next rule with the same prefix; nothing else can change the match. */
  const move = (item: ListedRule, delta: -1 | 1): void => {
    const at = item.ties.indexOf(item.index);
    const other = item.ties[at + delta];
    if (other === undefined) return;
    moveRule(item.index, other);
    setFocusKey(ruleKeys[item.index]!);
    const place = at + delta + 1;
    announce(`Rule for ${rules[item.index]!.from} is now ${place === 1 ? 'first' : `number ${place}`} of the ${item.ties.length} rules for that prefix`);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>, position: number): void => {
    const delta = event.key === 'ArrowUp' ? -1 : event.key === 'ArrowDown' ? 1 : 0;
    if (delta !== 0 && event.altKey) {
      event.preventDefault();
      move(listed[position]!, delta);
    } else if (delta !== 0 || event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      const to = event.key === 'Home' ? 0 : event.key === 'End' ? listed.length - 1 : Math.max(0, Math.min(listed.length - 1, position + delta));
      const index = listed[to]!.index;
      selectRule(index);
      setFocusKey(ruleKeys[index]!);
    }
  };

  return (
    <div className="rule-list">
      <div className="pane-head">
        <h2 id="rules-heading">Rules <span className="muted">{rules.length}</span></h2>
        <span className="muted small">The most specific prefix wins</span>
      </div>
      {rules.length === 0 ? (
        fileInvalid ? (
          <EmptyState title="No rules in force" icon={<Icon name="alert" size={28} />}>
            <p>The config file's rules cannot be read until its problem (above) is fixed. Fix the file, or write rules here and replace the file with them.</p>
            <RulePresetButtons />
          </EmptyState>
        ) : (
          <EmptyState title="No rules yet" icon={<Icon name="rules" size={28} />}>
            <p>Every pull goes to its own registry unchanged. Add a rule to send pulls to a mirror or to block them, or start from one of these:</p>
            <RulePresetButtons />
          </EmptyState>
        )
      ) : (
        <ol className="rules" aria-labelledby="rules-heading">
          {listed.map((item, position) => {
            const { index } = item;
            const rule = rules[index]!;
            const key = ruleKeys[index]!;
            const problems = issuesUnder(issues, `rules.${index}`);
            const newGroup = position === 0 || listed[position - 1]!.registry !== item.registry;
            const at = item.ties.indexOf(index);
            const tied = item.ties.length > 1;
            return (
              <li key={key} className={`rule-item${index === selected ? ' rule-item-selected' : ''}${rule.enabled ? '' : ' rule-item-off'}${newGroup ? ' rule-group-start' : ''}`}
                data-registry={newGroup && rule.from ? item.registry : undefined}>
                <button type="button" className="rule-select" aria-current={index === selected ? 'true' : undefined}
                  ref={(el) => { if (el) buttons.current.set(key, el); else buttons.current.delete(key); }}
                  tabIndex={index === selected ? 0 : -1} data-skip-target={index === selected ? '' : undefined}
                  aria-keyshortcuts={tied ? 'Alt+ArrowUp Alt+ArrowDown' : undefined} aria-describedby={tied ? 'rule-move-hint' : undefined}
                  onClick={() => selectRule(index)} onKeyDown={(e) => onKeyDown(e, position)}>
                  <span className="rule-text">
                    {/* The separators keep the parts apart when read as one name. */}
                    {rule.name && <><span className="rule-name">{rule.name}</span><span className="sr-only">: </span></>}
                    <code className="rule-from">{rule.from || <em className="muted">no prefix yet</em>}</code><span className="sr-only">, </span>
                    <span className={`rule-to${isBlockRule(rule) ? ' rule-to-block' : ''}`}><Summary rule={rule} />{rule.enabled ? '' : <span className="sr-only">, off</span>}</span>
                    {tied && <><span className="sr-only">, </span><span className="rule-tie">{at === 0 ? 'wins over' : 'after'} the other rule{item.ties.length > 2 ? 's' : ''} for this prefix</span></>}
                  </span>
                  {problems > 0 && <span className="rule-problems" title={`${problems} problem${problems > 1 ? 's' : ''}`}><Icon name="alert" /><span className="sr-only">{problems} problems</span></span>}
                </button>
                {tied && (
                  <span className="rule-moves">
                    <button type="button" className="icon-button" aria-label={`Move ${rule.name ?? `rule ${at + 1} for ${rule.from}`} earlier`} disabled={at === 0}
                      onClick={() => move(item, -1)}><Icon name="up" /></button>
                    <button type="button" className="icon-button" aria-label={`Move ${rule.name ?? `rule ${at + 1} for ${rule.from}`} later`} disabled={at === item.ties.length - 1}
                      onClick={() => move(item, 1)}><Icon name="down" /></button>
                  </span>
                )}
                <Switch compact checked={rule.enabled} label={`${rule.from || 'New rule'}${rule.name ? ` (${rule.name})` : ''} enabled`}
                  onChange={(enabled) => updateRule(index, { ...rule, enabled })} />
              </li>
            );
          })}
        </ol>
      )}
      <p id="rule-move-hint" className="sr-only">Rules with the same prefix are tried in file order: Alt plus Arrow Up or Arrow Down moves this one.</p>
      <div className="rule-list-actions">
        <button type="button" className="button" onClick={() => addRule('mirror')}><Icon name="plus" /> Mirror rule</button>
        <button type="button" className="button" onClick={() => addRule('block')}><Icon name="plus" /> Block rule</button>
      </div>
    </div>
  );
}
