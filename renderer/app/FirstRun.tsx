// The first-run checklist, where the window first opens (the empty request list): send docker
// commands through docker-caching, add a rule (or use the local cache), pull an image. Each
// step ticks itself from the real state: the current docker context, the saved rules and cache
// setting, a pull seen in the log.
import type { ReactElement, ReactNode } from 'react';
import { useApp } from '../store/store';
import { rulePresets } from '../rules/presets';
import { Switch } from '../ui/controls';
import { CommandLine } from '../ui/copy';
import { Icon } from '../ui/icons';
import { dockerCommands } from './docker-host';
import { inForce, unmatchedPulls } from './in-force';

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

/**
 * Preset buttons: each adds its rule to the draft and opens it in the rule editor; while the
 * local cache is off, one turns it on in the draft. The user reviews and saves.
 */
export function RulePresetButtons(): ReactElement {
  const addRule = useApp((s) => s.addRule);
  const showView = useApp((s) => s.showView);
  const cache = useApp((s) => s.draft?.cache);
  const updateCache = useApp((s) => s.updateCache);
  return (
    <div className="button-row presets" role="group" aria-label="Add a rule from a preset">
      {cache && !cache.enabled && (
        <button type="button" className="button" onClick={() => {
          updateCache({ ...cache, enabled: true });
          showView('rules');
        }}>
          <Icon name="plus" /> Docker Hub and other registries → the local cache
        </button>
      )}
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
  const config = useApp((s) => s.saved?.config);
  const decided = config ? inForce(config) : { rules: 0, cached: [] };
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
        <Step done={decided.rules > 0 || decided.cached.length > 0} title="Add a rule">
          {decided.rules === 0 && <p className="small">No rules yet, so {unmatchedPulls(decided)}.</p>}
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
