// "Try an image": type any reference and see, live, its normalised form, the rule that
// matches and the exact candidates in order, from the same planPull the proxy runs, applied
// to the draft being edited. A draft rule with a problem is left out (and said so); a matching
// rule that differs from the saved one is marked unsaved, with what the saved rules would do.
import { useMemo, useState, type ReactElement } from 'react';
import { ruleSchema, type Config } from '#shared/config/schema';
import { familiarString, parseNormalizedNamed, referenceString, tagNameOnly, type Reference } from '#shared/reference';
import { planPull, ruleLabel, type PullPlan } from '#shared/rules';
import { searchBoxId } from '../app/shortcuts';
import { useApp } from '../store/store';
import { Icon } from '../ui/icons';
import { sameData } from './draft';

type Preview =
  | { kind: 'empty' }
  | { kind: 'invalid'; message: string }
  | { kind: 'plan'; normalized: string; familiar: string; plan: PullPlan; unsaved: boolean; savedPlan: PullPlan | null; leftOut: number };

const actionText: Record<PullPlan['kind'], string> = { mirror: 'from mirrors', block: 'blocked', pass: 'passed through' };

/** The draft with every rule that has a problem switched off, so positions stay those of the list. */
function usableDraft(draft: Config): { config: Config; leftOut: number } {
  let leftOut = 0;
  const rules = draft.rules.map((rule) => {
    if (!rule.enabled || ruleSchema.safeParse(rule).success) return rule;
    leftOut++;
    return { ...rule, enabled: false };
  });
  return { config: { ...draft, rules }, leftOut };
}

function previewOf(ref: Reference, draft: Config, saved: Config | null): Preview {
  const { config, leftOut } = usableDraft(draft);
  const name = tagNameOnly(ref);
  const plan = planPull(name, config);
  const match = plan.match;
  const unsaved = match !== null && !sameData(saved?.rules[match.index], draft.rules[match.index]);
  const savedPlan = saved ? planPull(name, saved) : null;
  const differs = savedPlan !== null && savedPlan.explanation !== plan.explanation;
  return { kind: 'plan', normalized: referenceString(ref), familiar: familiarString(ref), plan, unsaved, savedPlan: differs ? savedPlan : null, leftOut };
}

export function TryImage(): ReactElement {
  const [input, setInput] = useState('ubuntu:18.04');
  const draft = useApp((s) => s.draft);
  const saved = useApp((s) => s.saved?.config ?? null);
  const selectRule = useApp((s) => s.selectRule);

  const preview = useMemo((): Preview => {
    const text = input.trim();
    if (!text || !draft) return { kind: 'empty' };
    try {
      return previewOf(parseNormalizedNamed(text), draft, saved);
    } catch (error) {
      return { kind: 'invalid', message: (error as Error).message };
    }
  }, [input, draft, saved]);

  const match = preview.kind === 'plan' ? preview.plan.match : null;
  return (
    <section className="try-image" aria-labelledby="try-heading">
      <div className="pane-head">
        <h2 id="try-heading">Try an image</h2>
        <span className="muted small">with the rules as edited</span>
      </div>
      <label className="field field-try">
        <Icon name="search" />
        <input type="text" id={searchBoxId.rules} aria-label="Image reference to try" aria-keyshortcuts="/" className="mono" value={input} spellCheck={false}
          placeholder="e.g. ghcr.io/org/app@sha256:…" onChange={(e) => setInput(e.target.value)} />
      </label>
      <div className="try-result" aria-live="polite">
        {preview.kind === 'empty' && <p className="muted small">Type a reference as you would give it to docker pull.</p>}
        {preview.kind === 'invalid' && <p className="field-error" role="alert"><Icon name="alert" size={12} /> {preview.message}</p>}
        {preview.kind === 'plan' && (
          <>
            <dl className="kv">
              <dt>Normalised</dt><dd><code data-testid="try-normalized">{preview.normalized}</code></dd>
              {preview.familiar !== preview.normalized && <><dt>Familiar</dt><dd><code>{preview.familiar}</code></dd></>}
              <dt>Outcome</dt><dd><span className={`plan-action plan-${preview.plan.kind}`}>{actionText[preview.plan.kind]}</span></dd>
              <dt>Rule</dt>
              <dd>
                {match?.cache !== undefined
                  ? <span data-testid="try-cache">{ruleLabel(match)}</span>
                  : match
                    ? <button type="button" className="link-button link-wrap" onClick={() => selectRule(match.index)}>{ruleLabel(match)}</button>
                    : <span className="muted">none matches</span>}
                {preview.unsaved && <span className="tag tag-unsaved">unsaved</span>}
              </dd>
            </dl>
            {preview.plan.kind !== 'block' && (
              <ol className="try-candidates" aria-label="Candidates in order">
                {preview.plan.candidates.map((c, i) => (
                  <li key={i} className={c.ref === null ? 'skipped' : undefined}>
                    <span className={`tag tag-${c.kind}`}>{c.kind}</span>
                    <code>{c.text}</code>
                    {c.ref === null && <span className="candidate-reason">skipped: {c.skipped}</span>}
                  </li>
                ))}
              </ol>
            )}
            {preview.plan.kind === 'block' && <p className="callout callout-block">{preview.plan.message}</p>}
            <p className="explanation">{preview.plan.explanation}</p>
            {preview.leftOut > 0 && (
              <p className="muted small">{preview.leftOut === 1 ? 'One edited rule has a problem and is' : `${preview.leftOut} edited rules have problems and are`} left out until fixed.</p>
            )}
            {preview.savedPlan && <p className="muted small">With the saved rules: {preview.savedPlan.explanation}</p>}
          </>
        )}
      </div>
    </section>
  );
}
