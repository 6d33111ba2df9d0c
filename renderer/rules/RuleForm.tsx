// The form for one rule: from (first: a new rule's focus goes there, or to its empty mirror),
// on/off, name, kind (mirror or block), the ordered mirrors (each with "Check"), the mirror
// options or the block message. Every change edits the draft at once; problems from the shared
// schema show inline under their field, with a one-click fix for a location written as a URL.
import { useEffect, useId, useRef, type ReactElement, type ReactNode } from 'react';
import { isBlockRule, type BlockRule, type MirrorRule, type Rule } from '#shared/config/schema';
import { useApp } from '../store/store';
import { Switch } from '../ui/controls';
import { Icon } from '../ui/icons';
import { CheckBadge, useMirrorChecks } from '../ui/mirror-check';
import { moved, removed, replaced, withKind } from './draft';
import { cacheLabel, cacheMirror, cacheOfMirror } from '#shared/rules/cache-rules';
import { draftIssues, issueAt, type ConfigIssue } from './validation';

/** Field paths whose problems show now: touched, non-empty, or after a save attempt. */
export type Touched = { has(field: string): boolean; touch(field: string): void };

export function Field({ label, error, hint, children, id, fix }: { label: string; error?: string | undefined; hint?: ReactNode; children: ReactNode; id: string; fix?: ReactNode }): ReactElement {
  return (
    <div className={`form-field${error ? ' has-error' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {error ? <p className="field-error" id={`${id}-error`} role="alert"><Icon name="alert" size={12} /> {error}</p>
        : hint ? <p className="field-hint" id={`${id}-hint`}>{hint}</p> : null}
      {error && fix}
    </div>
  );
}

/** `https://mirror.example.com/` → `mirror.example.com`: what a registry location is without its URL parts. */
const schemeStripped = (value: string): string | null => {
  const scheme = /^[a-z]+:\/\//i.exec(value);
  return scheme ? value.slice(scheme[0].length).replace(/\/+$/, '') : null;
};

/** The one-click fix for a location written as a URL. */
function StripScheme({ value, onFix }: { value: string; onFix: (fixed: string) => void }): ReactElement | null {
  const fixed = schemeStripped(value);
  if (fixed === null || fixed === '') return null;
  return (
    <button type="button" className="link-button fix-button" onClick={() => onFix(fixed)}>
      <Icon name="check" size={12} /> Use {fixed}
    </button>
  );
}

function Mirrors({ rule, index, issues, touched }: { rule: MirrorRule; index: number; issues: readonly ConfigIssue[]; touched: Touched }): ReactElement {
  const updateRule = useApp((s) => s.updateRule);
  const saveAttempted = useApp((s) => s.saveAttempted);
  const [checks, check] = useMirrorChecks();
  const base = useId();
  const set = (to: string[]): void => updateRule(index, { ...rule, to });
  const listError = issueAt(issues, `rules.${index}.to`);
  const config = useApp((s) => s.draft);
  const localCache = config ? cacheMirror(rule.from, config) : undefined;
  const cacheOf = (location: string): string | undefined => (config ? cacheOfMirror(location, config) : undefined);
  return (
    <fieldset className="form-field mirrors">
      <legend>Mirrors <span className="muted small">tried in this order</span></legend>
      <ol className="mirror-list">
        {rule.to.map((location, i) => {
          const field = `rules.${index}.to.${i}`;
          const error = issueAt(issues, field);
          const show = error && (saveAttempted || location !== '' || touched.has(field));
          const id = `${base}-${i}`;
          const validLocation = !error && location !== '';
          return (
            <li key={i} className={`mirror-row${show ? ' has-error' : ''}`}>
              <span className="mirror-n" aria-hidden="true">{i + 1}</span>
              <div className="mirror-main">
                <div className="mirror-inputs">
                  <input id={id} className="input mono" value={location} placeholder="e.g. localhost:5000" spellCheck={false}
                    data-mirror-input
                    aria-label={`Mirror ${i + 1} location`} aria-invalid={show ? true : undefined}
                    aria-describedby={show ? `${id}-error` : undefined}
                    onChange={(e) => set(replaced(rule.to, i, e.target.value.trim()))}
                    onBlur={() => touched.touch(field)} />
                  <button type="button" className="button button-small" disabled={!validLocation || checks[location]?.state === 'checking'}
                    onClick={() => void check(location)} aria-label={`Check mirror ${i + 1}`} title="Ask the mirror's /v2/ endpoint">Check</button>
                  <button type="button" className="icon-button" aria-label={`Move mirror ${i + 1} up`} disabled={i === 0}
                    onClick={() => set(moved(rule.to, i, i - 1))}><Icon name="up" /></button>
                  <button type="button" className="icon-button" aria-label={`Move mirror ${i + 1} down`} disabled={i === rule.to.length - 1}
                    onClick={() => set(moved(rule.to, i, i + 1))}><Icon name="down" /></button>
                  <button type="button" className="icon-button" aria-label={`Remove mirror ${i + 1}`} disabled={rule.to.length === 1}
                    onClick={() => set(removed(rule.to, i))}><Icon name="close" /></button>
                </div>
                {show && <p className="field-error" id={`${id}-error`} role="alert"><Icon name="alert" size={12} /> {error}</p>}
                {cacheOf(location) !== undefined && <span className="muted small" data-testid="mirror-cache">{cacheLabel(cacheOf(location)!)}</span>}
                {show && <StripScheme value={location} onFix={(fixed) => set(replaced(rule.to, i, fixed))} />}
                <CheckBadge check={checks[location]} />
              </div>
            </li>
          );
        })}
      </ol>
      {listError && <p className="field-error" role="alert"><Icon name="alert" size={12} /> {listError}</p>}
      <button type="button" className="link-button" onClick={() => set([...rule.to, ''])}><Icon name="plus" size={12} /> Add a mirror</button>
      {localCache !== undefined && !rule.to.includes(localCache) && (
        <button type="button" className="link-button" onClick={() => set([...rule.to.filter((t) => t !== ''), localCache])}
          title={`Pull through the ${cacheLabel(rule.from.split('/')[0]!)} at ${localCache}`}><Icon name="plus" size={12} /> Add the local cache</button>
      )}
    </fieldset>
  );
}

function Option({ label, checked, onChange, hint, disabled }: { label: string; checked: boolean; onChange: (v: boolean) => void; hint: string; disabled?: boolean }): ReactElement {
  const id = useId();
  return (
    <div className={`check-field${disabled ? ' disabled' : ''}`}>
      <input type="checkbox" id={id} checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} aria-describedby={`${id}-hint`} />
      <label htmlFor={id}>{label}</label>
      <p className="field-hint" id={`${id}-hint`}>{hint}</p>
    </div>
  );
}

export function RuleForm({ touched }: { touched: Touched }): ReactElement | null {
  const index = useApp((s) => s.selectedRule);
  const rule = useApp((s) => s.draft?.rules[s.selectedRule]);
  const issues = useApp((s) => draftIssues(s.draft));
  const saveAttempted = useApp((s) => s.saveAttempted);
  const ruleKey = useApp((s) => s.ruleKeys[s.selectedRule]);
  const focusRuleKey = useApp((s) => s.focusRuleKey);
  const { updateRule, duplicateRule, deleteRule, focusTaken } = useApp.getState();
  const base = useId();
  const form = useRef<HTMLElement>(null);

  // A rule just added gets the focus in the first field it still needs.
  useEffect(() => {
    if (focusRuleKey === null || focusRuleKey !== ruleKey || !form.current) return;
    const from = form.current.querySelector<HTMLInputElement>('[data-from-input]');
    const emptyMirror = [...form.current.querySelectorAll<HTMLInputElement>('[data-mirror-input]')].find((input) => input.value === '');
    (from?.value === '' ? from : emptyMirror ?? from)?.focus();
    focusTaken();
  }, [focusRuleKey, ruleKey, focusTaken]);

  if (!rule) return null;

  const update = (next: Rule): void => updateRule(index, next);
  const problem = (field: string, value: string): string | undefined => {
    const path = `rules.${index}.${field}`;
    const error = issueAt(issues, path);
    return error && (saveAttempted || value !== '' || touched.has(path)) ? error : undefined;
  };
  const ruleError = issueAt(issues, `rules.${index}`);
  const block = isBlockRule(rule);
  const fromError = problem('from', rule.from);
  const nameError = problem('name', rule.name ?? '');

  return (
    <section className="rule-form" aria-labelledby={`${base}-title`} ref={form}>
      <div className="pane-head">
        <h2 id={`${base}-title`}>{rule.from ? <>Rule for <code>{rule.from}</code></> : 'New rule'}{rule.name ? <span className="muted"> · {rule.name}</span> : null}</h2>
        <div className="button-row">
          <button type="button" className="button" onClick={() => duplicateRule(index)}><Icon name="duplicate" /> Duplicate</button>
          <button type="button" className="button button-danger" onClick={() => deleteRule(index)}><Icon name="trash" /> Delete</button>
        </div>
      </div>
      {ruleError && <p className="callout callout-bad" role="alert">{ruleError}</p>}

      <div className="form-grid">
        <Field label="Images starting with" id={`${base}-from`} error={fromError}
          fix={<StripScheme value={rule.from} onFix={(from) => update({ ...rule, from })} />}
          hint={<>A registry, optionally with a path, such as <code>docker.io</code> (all of Docker Hub) or <code>docker.io/library</code> (its official images); <code>*.example.com</code> covers subdomains.</>}>
          <input id={`${base}-from`} className="input mono" value={rule.from} placeholder="e.g. docker.io/library" spellCheck={false}
            data-from-input aria-invalid={fromError ? true : undefined} aria-describedby={fromError ? `${base}-from-error` : `${base}-from-hint`}
            onChange={(e) => update({ ...rule, from: e.target.value.trim() })}
            onBlur={() => touched.touch(`rules.${index}.from`)} />
        </Field>
        <div className="form-field form-field-switch">
          <span className="label" aria-hidden="true">Enabled</span>
          <Switch checked={rule.enabled} label="Rule enabled" onChange={(enabled) => update({ ...rule, enabled })} />
        </div>
      </div>

      <Field label="Name (optional)" id={`${base}-name`} error={nameError} hint="A label for the tray menu and the log.">
        <input id={`${base}-name`} className="input" value={rule.name ?? ''} placeholder="e.g. Hub cache"
          aria-invalid={nameError ? true : undefined}
          onChange={(e) => {
            const { name: _old, ...rest } = rule;
            update(e.target.value === '' ? (rest as Rule) : { ...rule, name: e.target.value });
          }} />
      </Field>

      <fieldset className="form-field kind">
        <legend>When an image matches</legend>
        <div className="segmented" role="radiogroup" aria-label="Rule kind">
          <label className={!block ? 'on' : ''}>
            <input type="radio" name={`${base}-kind`} checked={!block} onChange={() => update(withKind(rule, 'mirror'))} />
            Pull it from mirrors
          </label>
          <label className={block ? 'on' : ''}>
            <input type="radio" name={`${base}-kind`} checked={block} onChange={() => update(withKind(rule, 'block'))} />
            Block the pull
          </label>
        </div>
      </fieldset>

      {block ? (
        <BlockFields rule={rule} index={index} problem={problem} touched={touched} update={update} base={base} />
      ) : (
        <>
          <Mirrors rule={rule} index={index} issues={issues} touched={touched} />
          <fieldset className="form-field options">
            <legend>Options</legend>
            <Option label="Fall back to the original registry" checked={rule.fallback} onChange={(fallback) => update({ ...rule, fallback })}
              hint="When every mirror fails, pull from where the image really lives." />
            <Option label="Tag with the original name" checked={rule.retag} onChange={(retag) => update({ ...rule, retag })}
              hint="After a mirror pull, the image is also named as you asked for it (ubuntu:18.04)." />
            <Option label="Keep the mirror's tag too" checked={rule.keepMirrorTag} disabled={!rule.retag}
              onChange={(keepMirrorTag) => update({ ...rule, keepMirrorTag })}
              hint="Otherwise the mirror-named tag is removed, so docker images lists the original name only." />
            <Option label="Only pulls by digest" checked={rule.digestOnly} onChange={(digestOnly) => update({ ...rule, digestOnly })}
              hint="Redirect image@sha256:… pulls only; pulls by tag go to the original registry." />
          </fieldset>
        </>
      )}
    </section>
  );
}

function BlockFields({ rule, index, problem, touched, update, base }: {
  rule: BlockRule; index: number; problem: (field: string, value: string) => string | undefined;
  touched: Touched; update: (rule: Rule) => void; base: string;
}): ReactElement {
  const error = problem('block', rule.block);
  return (
    <Field label="Message shown to whoever pulls" id={`${base}-block`} error={error} hint="Docker prints it as the pull's error.">
      <textarea id={`${base}-block`} className="input" rows={3} value={rule.block} placeholder="Pull from the internal registry instead: registry.corp/…"
        aria-invalid={error ? true : undefined} aria-describedby={error ? `${base}-block-error` : `${base}-block-hint`}
        onChange={(e) => update({ ...rule, block: e.target.value })}
        onBlur={() => touched.touch(`rules.${index}.block`)} />
    </Field>
  );
}
