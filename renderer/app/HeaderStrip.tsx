// The strip across the top of the window: which view, where the proxy listens (with a copy
// button), the upstream engine and its health, the master switch and the counters, each of
// which filters the inspector to its pulls. Problems are told in full in the alert area.
import type { ReactElement } from 'react';
import type { LogAction } from '#shared/log';
import { selectDirty } from '../store/config-slice';
import { useApp } from '../store/store';
import { Switch } from '../ui/controls';
import { CopyButton } from '../ui/copy';
import { formatBytes, formatCount } from '../ui/format';
import { Icon } from '../ui/icons';
import { inForce, registryList, unmatchedPulls } from './in-force';

function Tabs(): ReactElement {
  const view = useApp((s) => s.view);
  const showView = useApp((s) => s.showView);
  const dirty = useApp(selectDirty);
  return (
    <div className="tabs" role="tablist" aria-label="View">
      <button type="button" role="tab" id="tab-inspector" aria-controls="view-inspector" aria-selected={view === 'inspector'}
        className="tab" onClick={() => showView('inspector')}>
        <Icon name="list" /> Inspector
      </button>
      <button type="button" role="tab" id="tab-rules" aria-controls="view-rules" aria-selected={view === 'rules'}
        className="tab" onClick={() => showView('rules')}>
        <Icon name="rules" /> Rules{dirty && <span className="tab-dot" title="Unsaved changes" aria-label="(unsaved changes)" />}
      </button>
    </div>
  );
}

function Socket(): ReactElement | null {
  const listening = useApp((s) => s.status?.listening ?? null);
  if (!listening) {
    return (
      <div className="strip-item strip-error">
        <span className="dot dot-bad" aria-hidden="true" /> Not listening
      </div>
    );
  }
  return (
    <div className="strip-item strip-socket">
      <span className="strip-label">Socket</span>
      <code className="strip-value" title={listening}>{listening}</code>
      <CopyButton text={listening} label="Copy socket path" />
    </div>
  );
}

function Upstream(): ReactElement | null {
  const upstream = useApp((s) => s.status?.upstream);
  if (!upstream) return null;
  const title = upstream.healthy ? `Docker Engine ${upstream.version ?? ''} at ${upstream.address}` : upstream.error ?? 'unreachable';
  return (
    <div className="strip-item strip-upstream" title={title}>
      <span className="strip-label">Upstream</span>
      <span className={`dot ${upstream.healthy ? 'dot-good' : 'dot-bad'}`} aria-hidden="true" />
      <code className="strip-value">{upstream.address}</code>
      <span className={upstream.healthy ? 'muted strip-version' : 'strip-bad'}>
        {upstream.healthy ? (upstream.version ? `Engine ${upstream.version}` : 'healthy') : 'not answering'}
      </span>
    </div>
  );
}

function DockerContext(): ReactElement | null {
  const active = useApp((s) => s.status?.dockerContextActive);
  if (active === undefined) return null;
  return (
    <div className="strip-item" title={active
      ? 'The docker CLI talks to the engine through docker-caching (the current docker context is docker-caching)'
      : 'The docker CLI talks to the engine directly; point DOCKER_HOST at the socket or switch the docker context to docker-caching'}>
      <span className="strip-label">Context</span>
      <span className={active ? 'strip-good' : 'muted'}>{active ? 'docker-caching' : 'not in use'}</span>
    </div>
  );
}

/** When the sizes shown were measured (a measure walks every volume on the engine's host, so it is rare). */
function sizesFreshness(measuredAt: number, estimated: boolean): string {
  const at = new Date(measuredAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return `Sizes measured at ${at}${estimated ? ', plus what pulls fetched since' : ''}`;
}

function LocalCache(): ReactElement | null {
  const cache = useApp((s) => s.status?.cache);
  if (!cache) return null;
  const problems = cache.registries.filter((r) => r.state === 'error').map((r) => `${r.registry}: ${r.error ?? 'error'}`);
  if (cache.error) problems.unshift(cache.error);
  const title = [
    `Local cache ${cache.enabled ? 'on' : 'off'}: ${formatBytes(cache.totalBytes)} of ${formatBytes(cache.maxSizeBytes)}`,
    ...cache.registries.map((r) => `${r.registry} (127.0.0.1:${r.port}): ${r.state}${r.error ? `: ${r.error}` : ''}${r.recreated ? ` (made again: ${r.recreated})` : ''}`),
    ...(cache.sizesMeasuredAt !== undefined ? [sizesFreshness(cache.sizesMeasuredAt, cache.sizesEstimated === true)] : []),
  ].join('\n');
  return (
    <div className="strip-item" title={title} data-testid="strip-cache">
      <span className="strip-label">Cache</span>
      {problems.length > 0
        ? <span className="strip-bad">{problems[0]}</span>
        : <span className={cache.enabled ? undefined : 'muted'}>{cache.enabled ? `${formatBytes(cache.totalBytes)} of ${formatBytes(cache.maxSizeBytes)}` : 'off'}</span>}
    </div>
  );
}

/** What decides pulls now: the rules in force, the local cache, or nothing (said so). */
function RulesInForce(): ReactElement | null {
  const config = useApp((s) => s.saved?.config);
  const showView = useApp((s) => s.showView);
  if (!config) return null;
  const { rules, cached } = inForce(config);
  return (
    <div className="strip-item">
      <span className="strip-label">Rules</span>
      {rules > 0 ? <span>{rules} in force{cached.length > 0 ? ' + local cache' : ''}</span>
        : cached.length > 0 ? <span title={unmatchedPulls({ rules, cached })}>none; local cache for {registryList(cached, 1)}</span>
          : <button type="button" className="link-button strip-link" onClick={() => showView('rules')}>none: every pull passes unchanged</button>}
    </div>
  );
}

const counterActions: [LogAction, string, 'redirected' | 'fellBack' | 'blocked' | 'failed', string][] = [
  ['redirected', 'redirected', 'redirected', 'Pulls served by a mirror'],
  ['fell back', 'fell back', 'fellBack', 'Pulls that fell back to the original registry'],
  ['blocked', 'blocked', 'blocked', 'Pulls refused by a block rule'],
  ['failed', 'failed', 'failed', 'Pulls that failed'],
];

function Counters(): ReactElement | null {
  const counters = useApp((s) => s.status?.counters);
  const shownAction = useApp((s) => (s.filter.actions.length === 1 ? s.filter.actions[0] : null));
  const view = useApp((s) => s.view);
  const setFilter = useApp((s) => s.setFilter);
  const showView = useApp((s) => s.showView);
  if (!counters) return null;
  const show = (action: LogAction): void => {
    const on = view === 'inspector' && shownAction === action;
    setFilter({ actions: on ? [] : [action] });
    showView('inspector');
  };
  return (
    <div className="counters" role="group" aria-label="Pull counters: show these pulls">
      {counterActions.map(([action, label, key, title]) => (
        <button key={action} type="button" className={`counter counter-${key}${key === 'failed' && counters.failed > 0 ? ' counter-bad' : ''}`}
          title={`${title}: show them`} aria-pressed={view === 'inspector' && shownAction === action} onClick={() => show(action)}>
          <span className="counter-label">{label}</span>
          <span className="counter-value">{formatCount(counters[key])}</span>
        </button>
      ))}
      <span className="counter counter-static" title="Pulls served entirely by the local cache, hits only (counted in redirected too)">
        <span className="counter-label">from cache</span>
        <span className="counter-value">{formatCount(counters.fromCache)}</span>
      </span>
      <span className="counter counter-static" title="Image bytes pulled from mirrors">
        <span className="counter-label">from mirrors</span>
        <span className="counter-value">{formatBytes(counters.bytesFromMirrors)}</span>
      </span>
    </div>
  );
}

function MasterSwitch(): ReactElement | null {
  const enabled = useApp((s) => s.status?.enabled ?? s.saved?.config.enabled);
  const switching = useApp((s) => s.switching);
  const setEnabled = useApp((s) => s.setEnabled);
  if (enabled === undefined) return null;
  return (
    <div className="strip-item master-switch">
      <label htmlFor="master-switch" className={enabled ? '' : 'muted'}>Redirect pulls</label>
      <Switch id="master-switch" label="Redirect pulls through mirrors" checked={enabled} disabled={switching}
        onChange={(on) => void setEnabled(on)} />
    </div>
  );
}

export function HeaderStrip(): ReactElement {
  return (
    <header className="header">
      <div className="topbar">
        <h1 className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">docker-caching</span>
        </h1>
        <Tabs />
        <span className="toolbar-spacer" />
        <Counters />
        <MasterSwitch />
      </div>
      <div className="strip" aria-label="Proxy status">
        <Socket />
        <Upstream />
        <DockerContext />
        <LocalCache />
        <RulesInForce />
      </div>
    </header>
  );
}
