// The first-run checklist, where the window first opens (the empty request list): send docker
// commands through docker-caching, add a rule, pull an image. Each step ticks itself from the
// real state: the current docker context, the saved rules, a pull seen in the log.
import type { ReactElement, ReactNode } from 'react';
import { useApp } from '../store/store';
import { rulePresets } from '../rules/presets';
import { Switch } from '../ui/controls';
import { CommandLine } from '../ui/copy';
import { Icon } from '../ui/icons';
import { dockerCommands } from './docker-host';

function Step({ done, title, children }: { done: boolean; title: string; children: ReactNode }): ReactElement {
  return (
    <li className={`step${done ? ' step-done' : ''}`}>
      <span className="step-mark" aria-hidden="true">{done && <Icon name="check" size={12} />}</span>
      <div className="step-body">
        <h3 className="step-title">{title}<span className="sr-only">{done ? ' (done)' : ' (to do)'}</span></h3>
        {children}
      </div>
    </li>
  );
}

/** Preset buttons: each adds its rule to the draft and opens it in the rule editor. */
export function RulePresetButtons(): ReactElement {
  const addRule = useApp((s) => s.addRule);
  const showView = useApp((s) => s.showView);
  return (
    <div className="button-row presets" role="group" aria-label="Add a rule from a preset">
      {rulePresets.map((preset) => (
        <button key={preset.id} type="button" className="button" onClick={() => {
          addRule('mirror', structuredClone(preset.rule));
          showView('rules');
        }}>
          <Icon name="plus" /> {preset.label}
        </button>
      ))}
    </div>
  );
}

export function FirstRun(): ReactElement {
  const listening = useApp((s) => s.status?.listening ?? null);
  const contextActive = useApp((s) => s.status?.dockerContextActive ?? false);
  const contextError = useApp((s) => s.contextError);
  const setDockerContext = useApp((s) => s.setDockerContext);
  const hasRules = useApp((s) => (s.saved?.config.rules.length ?? 0) > 0);
  const pullSeen = useApp((s) => s.logPullSeen);
  const commands = listening ? dockerCommands(listening) : null;
  return (
    <section className="first-run" aria-labelledby="first-run-title">
      <h2 id="first-run-title">Get started</h2>
      <ol className="steps">
        <Step done={contextActive} title="Use docker-caching for docker commands">
          {commands ? (
            <>
              <div className="step-switch">
                <Switch id="use-context" checked={contextActive} label="Use docker-caching for docker commands"
                  onChange={(on) => void setDockerContext(on)} />
                <label htmlFor="use-context">{contextActive ? 'docker commands go through docker-caching' : 'Switch the docker context to docker-caching'}</label>
              </div>
              {contextError && <p className="field-error" role="alert"><Icon name="alert" size={12} /> {contextError}</p>}
              <p className="muted small">Or by hand, for one shell or for good:</p>
              <CommandLine command={commands.exportHost} label="For this shell only" />
              <CommandLine command={commands.createContext} label="Create the context once" />
              <CommandLine command={commands.useContext} label="Use it" />
            </>
          ) : (
            <p className="muted small">docker-caching is not listening yet: see the alert above.</p>
          )}
        </Step>
        <Step done={hasRules} title="Add a rule">
          {!hasRules && <p className="small">No rules yet, so every pull goes to its own registry unchanged.</p>}
          <RulePresetButtons />
        </Step>
        <Step done={pullSeen} title="Pull an image to see it work">
          <CommandLine command="docker pull alpine" label="Pull a small image" />
          <p className="muted small">It shows up here, with where it came from.</p>
        </Step>
      </ol>
    </section>
  );
}
