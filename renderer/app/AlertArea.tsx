// The one place, under the header on both views, where every problem that stops docker-caching
// doing its job is shown with the action that fixes it: an invalid config file, an engine that
// does not answer, a socket held by another program, a status or config main could not give.
// Never hides a problem behind a tooltip; never overwrites the file without a confirmation.
import { useState, type ReactElement, type ReactNode } from 'react';
import type { ConfigProblem } from '#shared/ipc';
import { invoke } from '../api';
import { useApp } from '../store/store';
import { Icon } from '../ui/icons';
import { plural } from '../ui/format';
import { inForce, unmatchedPulls } from './in-force';

function Alert({ title, children, actions, tone = 'bad', id }: { title: string; children: ReactNode; actions?: ReactNode; tone?: 'bad' | 'warn'; id: string }): ReactElement {
  return (
    <div className={`alert alert-${tone}`} role="alert" aria-labelledby={`${id}-title`} data-alert={id}>
      <Icon name="alert" size={16} />
      <div className="alert-body">
        <p className="alert-title" id={`${id}-title`}>{title}</p>
        {children}
        {actions && <div className="alert-actions">{actions}</div>}
      </div>
    </div>
  );
}

function ConfigFileAlert({ problem }: { problem: ConfigProblem }): ReactElement {
  const config = useApp((s) => s.saved?.config);
  const rulesInForce = config?.rules.length ?? 0;
  const draftRules = useApp((s) => s.draft?.rules.length ?? 0);
  const replaceInvalidFile = useApp((s) => s.replaceInvalidFile);
  const saving = useApp((s) => s.saving);
  const [confirming, setConfirming] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  const act = async (channel: 'config.openFile' | 'config.showInFolder'): Promise<void> => {
    const result = await invoke(channel);
    setFailure(result.ok ? null : result.error);
  };
  const replace = async (): Promise<void> => {
    const ok = await replaceInvalidFile();
    setConfirming(false);
    setFailure(ok ? null : useApp.getState().saveError);
  };
  return (
    <Alert id="config-file" title="The config file has a problem" actions={confirming ? (
      <div className="confirm" role="group" aria-label="Confirm replacing the config file">
        <p>Replace <code>{problem.file}</code> with the {plural(draftRules, 'rule')} in the editor? What the file holds now is lost.</p>
        <button type="button" className="button button-danger" disabled={saving} onClick={() => void replace()}>Replace the file</button>
        <button type="button" className="button" onClick={() => setConfirming(false)}>Cancel</button>
      </div>
    ) : (
      <>
        <button type="button" className="button" onClick={() => void act('config.openFile')}>Open file</button>
        <button type="button" className="button" onClick={() => void act('config.showInFolder')}>Show in folder</button>
        <button type="button" className="button" onClick={() => setConfirming(true)}>Replace the file with these rules…</button>
      </>
    )}>
      <p><code className="alert-where">{where}</code>: {problem.field ? <><code>{problem.field}</code>: </> : null}{problem.message}</p>
      <p className="alert-consequence">
        {rulesInForce === 0
          ? `None of the file's rules apply until this is fixed: ${config ? unmatchedPulls(inForce(config)) : 'every pull goes to its own registry unchanged'}.`
          : `The last good rules (${plural(rulesInForce, 'rule')}) stay in force until this is fixed.`}
      </p>
      {failure && <p className="alert-failure">{failure}</p>}
    </Alert>
  );
}

function EngineAlert({ address, error }: { address: string; error: string }): ReactElement {
  const retrying = useApp((s) => s.retrying);
  const retryEngine = useApp((s) => s.retryEngine);
  return (
    <Alert id="engine" title="The Docker engine is not answering" actions={
      <button type="button" className="button" disabled={retrying} onClick={() => void retryEngine()}>
        <Icon name="refresh" /> {retrying ? 'Asking the engine…' : 'Retry'}
      </button>
    }>
      <p>docker-caching forwards docker commands to <code>{address}</code>, which did not answer: {error}.</p>
      <p className="alert-consequence">Every docker command through docker-caching fails until it does. Is Docker running? Start it, then Retry.</p>
    </Alert>
  );
}

export function AlertArea(): ReactElement | null {
  // The config main sent is the truth once there is one; the status tells of a problem before that.
  const configProblem = useApp((s) => (s.saved ? s.saved.error : s.status?.configError));
  const upstream = useApp((s) => s.status?.upstream);
  const listenError = useApp((s) => (s.status && s.status.listening === null ? s.status.listenError ?? 'not listening' : null));
  const statusError = useApp((s) => s.statusError);
  const loadError = useApp((s) => s.configError);
  const engineDown = upstream !== undefined && !upstream.healthy;
  if (!configProblem && !engineDown && !listenError && !statusError && !loadError) return null;
  return (
    <div className="alerts" role="region" aria-label="Problems">
      {listenError && (
        <Alert id="socket" title="docker-caching cannot listen on its socket">
          <p>{listenError}</p>
          <p className="alert-consequence">Another program may hold the socket (a <code>docker-caching serve</code>, or another copy of the app). Stop it: docker-caching tries again every few seconds.</p>
        </Alert>
      )}
      {engineDown && <EngineAlert address={upstream.address} error={upstream.error ?? 'no answer'} />}
      {configProblem && <ConfigFileAlert problem={configProblem} />}
      {statusError && <Alert id="status" title="A request to docker-caching failed"><p>{statusError}</p></Alert>}
      {loadError && <Alert id="config-load" title="Could not read the rules"><p>{loadError}</p></Alert>}
    </div>
  );
}
