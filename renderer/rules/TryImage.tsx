// "Try an image": type any reference and see, live, its normalised form, the rule that
// matches and the exact candidates in order, from the same planPull the proxy runs, applied
// to the draft (or to the saved rules while the draft has problems).
import { useMemo, useState, type ReactElement } from 'react';
import { validateConfig } from '../../shared/config/validate';
import { familiarString, parseNormalizedNamed, referenceString, tagNameOnly } from '../../shared/reference';
import { planPull, ruleLabel, type PullPlan } from '../../shared/rules';
import { useApp } from '../store/store';
import { Icon } from '../ui/icons';

type Preview =
  | { kind: 'empty' }
  | { kind: 'invalid'; message: string }
  | { kind: 'plan'; normalized: string; familiar: string; plan: PullPlan; fromSaved: boolean };

const actionText: Record<PullPlan['kind'], string> = { mirror: 'from mirrors', block: 'blocked', pass: 'passed through' };

export function TryImage(): ReactElement {
  const [input, setInput] = useState('ubuntu:18.04');
  const draft = useApp((s) => s.draft);
  const saved = useApp((s) => s.saved?.config ?? null);
  const selectRule = useApp((s) => s.selectRule);

  const preview = useMemo((): Preview => {
    const text = input.trim();
    if (!text) return { kind: 'empty' };
    let ref;
    try {
      ref = parseNormalizedNamed(text);
    } catch (error) {
      return { kind: 'invalid', message: (error as Error).message };
    }
    const checked = draft ? validateConfig(draft) : null;
    const config = checked?.ok ? checked.config : saved;
    if (!config) return { kind: 'empty' };
    return {
      kind: 'plan', normalized: referenceString(ref), familiar: familiarString(ref),
      plan: planPull(tagNameOnly(ref), config), fromSaved: !checked?.ok,
    };
  }, [input, draft, saved]);

  const match = preview.kind === 'plan' ? preview.plan.match : null;
  return (
    <section className="try-image" aria-labelledby="try-heading">
      <div className="pane-head">
        <h2 id="try-heading">Try an image</h2>
      </div>
      <label className="field field-try">
        <Icon name="search" />
        <input type="text" aria-label="Image reference to try" className="mono" value={input} spellCheck={false}
          placeholder="ubuntu:18.04, ghcr.io/org/app@sha256:…" onChange={(e) => setInput(e.target.value)} />
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
                {match
                  ? <button type="button" className="link-button link-wrap" onClick={() => selectRule(match.index)}>{ruleLabel(match)}</button>
                  : <span className="muted">none matches</span>}
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
            {preview.fromSaved && <p className="muted small">The draft has problems, so this uses the saved rules.</p>}
          </>
        )}
      </div>
    </section>
  );
}
