// Everything known about the selected request, fetched on demand with `logs.detail`: what
// became of it (forwarded, rewritten, or answered by docker-caching itself), the rewrite trace,
// pull progress, the error in plain words, the redacted headers; actions for a pull (edit its
// rule, check its mirrors, copy the reference or a docker pull) and the image's pulls in the log.
// Refetched while the request is still running.
import { useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import type { CandidateAttempt, FollowUp, LogDetail, LogEntry, RewriteTrace } from '#shared/log';
import { cacheTraceText } from '#shared/cache-served';
import { cacheLabel } from '#shared/rules/cache-rules';
import { REDACTED } from '#shared/log';
import { invoke } from '../api';
import { logModel } from '../logs/log-model';
import { useApp } from '../store/store';
import { ActionBadge, EmptyState, StatusCode } from '../ui/controls';
import { CopyButton } from '../ui/copy';
import { formatBytes, formatClock, formatDuration, plural } from '../ui/format';
import { Icon } from '../ui/icons';
import { CheckBadge, useMirrorChecks } from '../ui/mirror-check';
import { diffLines, readablePath, type DiffPart } from './diff';
import { registryOf } from './pull-outcome';

/** While a request runs, its detail is fetched again at most this often. */
const REFRESH_MS = 500;

type Loaded = { seq: number; detail: LogDetail | null; error?: string };

function useDetail(entry: LogEntry | null): Loaded | null {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const lastFetch = useRef(0);
  const seq = entry?.seq ?? null;
  useEffect(() => {
    if (seq === null) return;
    let cancelled = false;
    const fetchNow = async (): Promise<void> => {
      lastFetch.current = performance.now();
      const result = await invoke('logs.detail', seq);
      if (cancelled) return;
      setLoaded(result.ok ? { seq, detail: result.value } : { seq, detail: null, error: result.error });
    };
    const wait = Math.max(0, lastFetch.current + REFRESH_MS - performance.now());
    const timer = setTimeout(fetchNow, loaded?.seq === seq ? wait : 0);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
    // Refetch when the summary changes (same seq, newer object) or another row is picked.
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `loaded` is what this effect sets; depending on it would refetch forever
  }, [seq, entry]);
  return loaded?.seq === seq ? loaded : null;
}

function Diff({ parts, sign }: { parts: DiffPart[]; sign: '-' | '+' }): ReactElement {
  return (
    <div className={`diff-line diff-${sign === '-' ? 'before' : 'after'}`}>
      <span className="diff-sign" aria-hidden="true">{sign}</span>
      <code>
        {parts.map((p, i) => (p.kind === 'same' ? <span key={i}>{p.text}</span>
          : p.kind === 'removed' ? <del key={i}>{p.text}</del> : <ins key={i}>{p.text}</ins>))}
      </code>
    </div>
  );
}

/** What happened to the request line, true for every outcome: who answered it. */
function fate(entry: LogEntry, detail: LogDetail | null): string {
  if (entry.action === 'blocked') return 'docker-caching answered this itself (a block rule): the engine never received it.';
  if (entry.rewrite?.engineError) return 'The engine did not answer, so nothing was pulled and no mirror was tried.';
  if (entry.rewrite?.action === 'mirror' && detail?.forwardedPath === undefined) return 'docker-caching answered this itself: no candidate could be tried.';
  if (entry.status === null && !entry.pending) return `Sent to the engine, which never answered${entry.error ? `: ${entry.error}` : '.'}`;
  return 'Forwarded to the engine as received.';
}

function RequestLine({ entry, detail, loaded }: { entry: LogEntry; detail: LogDetail | null; loaded: boolean }): ReactElement {
  const before = `${entry.method} ${readablePath(entry.path)}`;
  const forwarded = detail?.forwardedPath;
  if (forwarded === undefined || forwarded === entry.path) {
    return (
      <section className="detail-section" aria-label="Request line">
        <h3>Request line</h3>
        <div className="diff-line"><code>{before}</code></div>
        <p className="muted small">{loaded ? fate(entry, detail) : ''}</p>
      </section>
    );
  }
  const diff = diffLines(before, `${entry.method} ${readablePath(forwarded)}`);
  return (
    <section className="detail-section" aria-label="Request line">
      <h3>Request line <span className="muted small">as received, then as forwarded</span></h3>
      <div className="diff">
        <Diff parts={diff.before} sign="-" />
        <Diff parts={diff.after} sign="+" />
      </div>
    </section>
  );
}

const outcomeText: Record<CandidateAttempt['outcome'], string> = { ok: 'pulled', failed: 'failed', skipped: 'skipped' };

function Candidates({ trace, total }: { trace: RewriteTrace; total: number }): ReactElement {
  const span = Math.max(total, ...trace.candidates.map((c) => c.startedMs + c.durationMs), 1);
  return (
    <ol className="candidates" aria-label="Candidates tried">
      {trace.candidates.map((c, i) => (
        <li key={i} className={`candidate candidate-${c.outcome}`}>
          <span className="candidate-n">{i + 1}</span>
          <span className={`tag tag-${c.kind}`}>{c.kind}</span>
          <code className="candidate-ref">{c.ref}</code>
          <span className={`outcome outcome-${c.outcome}`}>{outcomeText[c.outcome]}</span>
          <span className="candidate-time">{formatDuration(c.durationMs)}</span>
          <span className="waterfall" aria-hidden="true">
            <span className="waterfall-bar" style={{ left: `${(c.startedMs / span) * 100}%`, width: `${Math.max(1, (c.durationMs / span) * 100)}%` }} />
          </span>
          {c.reason && <span className="candidate-reason">{c.reason}</span>}
        </li>
      ))}
    </ol>
  );
}

function FollowUps({ title, items }: { title: string; items: FollowUp[] }): ReactElement | null {
  if (items.length === 0) return null;
  return (
    <div className="followups">
      <span className="kv-key">{title}</span>
      <ul>
        {items.map((f, i) => (
          <li key={i}>
            <span className={`outcome outcome-${f.ok ? 'ok' : 'failed'}`}>{f.ok ? 'done' : 'failed'}</span> <code>{f.ref}</code>
            {f.error && <span className="candidate-reason">{f.error}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Trace({ trace, entry }: { trace: RewriteTrace; entry: LogEntry }): ReactElement {
  const rule = trace.rule;
  return (
    <section className="detail-section" aria-label="Rewrite trace">
      <h3>Rewrite trace</h3>
      <dl className="kv">
        <dt>Image</dt><dd><code>{trace.original}</code></dd>
        <dt>Rule</dt>
        <dd>{rule?.cache !== undefined ? <>{cacheLabel(rule.cache)}</> : rule ? <>#{rule.index + 1} <code>{rule.from}</code>{rule.name ? <span className="muted"> · {rule.name}</span> : null}</> : <span className="muted">no rule matched: passed through</span>}</dd>
        <dt>Plan</dt><dd>{trace.action === 'mirror' ? 'pull from mirrors' : trace.action === 'block' ? 'block the pull' : 'pass through unchanged'}</dd>
        {trace.mappedTo && <><dt>Digest</dt><dd><code>{trace.mappedTo}</code></dd></>}
        {trace.source && <><dt>Came from</dt><dd><code className="source">{trace.source}</code></dd></>}
        {trace.cache && <><dt>Local cache</dt><dd data-testid="trace-cache">{cacheTraceText(trace.cache)}</dd></>}
      </dl>
      {trace.engineError
        ? <p className="callout callout-bad" role="note"><Icon name="alert" /> <span>The Docker engine did not answer ({trace.engineError}), so no mirror was tried: this is not a mirror failure.</span></p>
        : trace.candidates.length > 0 && <Candidates trace={trace} total={entry.durationMs} />}
      <FollowUps title="Tagged" items={trace.retag} />
      <FollowUps title="Untagged" items={trace.untag} />
    </section>
  );
}

function Progress({ detail }: { detail: LogDetail }): ReactElement | null {
  const p = detail.progress;
  if (!p) return null;
  const fraction = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : p.layers > 0 ? p.layersDone / p.layers : 0;
  return (
    <section className="detail-section" aria-label="Pull progress">
      <h3>Pull progress</h3>
      <div className="progress" role="progressbar" aria-label="Pull progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
        <span className="progress-bar" style={{ width: `${Math.min(100, fraction * 100)}%` }} />
      </div>
      <dl className="kv">
        <dt>Layers</dt><dd>{p.layersDone} of {p.layers}</dd>
        <dt>Bytes</dt><dd>{formatBytes(p.bytesDone)} of {formatBytes(p.bytesTotal)}</dd>
        <dt>Time</dt><dd>{detail.pending ? `${formatDuration(detail.durationMs)} so far` : formatDuration(detail.durationMs)}</dd>
      </dl>
    </section>
  );
}

function Headers({ title, headers }: { title: string; headers: [string, string][] }): ReactElement {
  return (
    <section className="detail-section" aria-label={title}>
      <h3>{title}</h3>
      {headers.length === 0 ? <p className="muted small">None</p> : (
        <table className="headers">
          <tbody>
            {headers.map(([name, value], i) => (
              <tr key={i}>
                <th scope="row">{name}</th>
                <td className={value === REDACTED ? 'redacted' : undefined}>{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * The mirror locations a pull tried: as its rule names them when the rule still says so (main
 * checks only locations the rules name), else the registry of each mirror candidate.
 */
function mirrorsTried(trace: RewriteTrace, ruleMirrors: readonly string[]): string[] {
  const refs = trace.candidates.filter((c) => c.kind === 'mirror').map((c) => c.ref);
  return [...new Set(refs.map((ref) => ruleMirrors.find((to) => ref.startsWith(`${to}/`)) ?? registryOf(ref)))];
}

/** What a pull's detail offers: its rule, its mirrors' health, its reference on the clipboard. */
function PullActions({ entry }: { entry: LogEntry }): ReactElement | null {
  const trace = entry.rewrite;
  const selectRule = useApp((s) => s.selectRule);
  const showView = useApp((s) => s.showView);
  const ruleMirrors = useApp((s) => {
    const rule = trace?.rule ? s.saved?.config.rules[trace.rule.index] : undefined;
    return rule && 'to' in rule && rule.from === trace?.rule?.from ? rule.to : undefined;
  });
  const [checks, check] = useMirrorChecks();
  if (entry.route !== 'pull' || !trace) return null;
  const rule = trace.rule;
  // The local cache is not a mirror the user named: its settings are the thing to look at.
  const mirrors = rule?.cache !== undefined ? [] : mirrorsTried(trace, ruleMirrors ?? []);
  const reference = entry.image ?? trace.original;
  return (
    <section className="detail-section" aria-label="Actions">
      <div className="button-row">
        {rule?.cache !== undefined && (
          <button type="button" className="button button-small" onClick={() => showView('rules')}>
            <Icon name="rules" /> Local cache settings
          </button>
        )}
        {rule && rule.cache === undefined && (
          <button type="button" className="button button-small" onClick={() => { selectRule(rule.index); showView('rules'); }}>
            <Icon name="rules" /> Edit rule for {rule.from}
          </button>
        )}
        {mirrors.map((mirror) => (
          <button key={mirror} type="button" className="button button-small" disabled={checks[mirror]?.state === 'checking'}
            onClick={() => void check(mirror)}>Check mirror {mirror}</button>
        ))}
        <CopyButton text={trace.original} label={`Copy the reference ${trace.original}`}>Copy reference</CopyButton>
        <CopyButton text={`docker pull ${reference}`} label={`Copy: docker pull ${reference}`}>Copy as docker pull</CopyButton>
      </div>
      {mirrors.map((mirror) => checks[mirror] && <div key={mirror}><code className="small">{mirror}</code> <CheckBadge check={checks[mirror]} /></div>)}
    </section>
  );
}

/** This image's pulls among those the window holds. */
function ImageSummary({ entry }: { entry: LogEntry }): ReactElement | null {
  const held = useApp((s) => s.logHeld);
  const original = entry.route === 'pull' ? entry.rewrite?.original : undefined;
  // Recounted when another request is picked or the log grows, not on every update of a running pull.
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `held` stands for the log model's contents, which React cannot see
  const summary = useMemo(() => (original ? logModel.pullSummary(original) : null), [original, held]);
  if (!original || !summary) return null;
  return (
    <section className="detail-section" aria-label="This image in the log">
      <h3>This image in the log</h3>
      <dl className="kv">
        <dt>Pulls</dt><dd>{plural(summary.pulls, 'pull')}{summary.fellBack > 0 ? `, ${summary.fellBack} fell back` : ''}{summary.failed > 0 ? `, ${summary.failed} failed` : ''}</dd>
        <dt>Last source</dt><dd>{summary.lastSource ? <code>{summary.lastSource}</code> : <span className="muted">none yet</span>}</dd>
      </dl>
    </section>
  );
}

export function DetailPane(): ReactElement {
  useApp((s) => s.logRevision);
  const seq = useApp((s) => s.selectedSeq);
  const setDetailOpen = useApp((s) => s.setDetailOpen);
  const entry = seq === null ? null : logModel.entryBySeq(seq);
  const loaded = useDetail(entry);
  const detail = loaded?.detail ?? null;

  const close = (): void => {
    setDetailOpen(false);
    document.querySelector<HTMLElement>('.list')?.focus();
  };

  let body: ReactElement;
  if (!entry) {
    body = <EmptyState title="Request no longer in the log">It was cleared or dropped by the cap.</EmptyState>;
  } else {
    const error = entry.error ?? detail?.error;
    body = (
      <>
        <div className="detail-head">
          <div className="detail-title">
            <ActionBadge action={entry.action} />
            <span className={`method method-${entry.method.toLowerCase()}`}>{entry.method}</span>
            <span className="detail-route">{entry.route}</span>
            <StatusCode status={entry.status} pending={entry.pending} />
          </div>
          <div className="detail-meta muted">
            <span>{formatClock(entry.time)}</span>
            <span>{entry.pending ? 'running…' : formatDuration(entry.durationMs)}</span>
            <span>{formatBytes(entry.bytesIn)} in · {formatBytes(entry.bytesOut)} out</span>
            {entry.apiVersion && <span>API {entry.apiVersion}</span>}
            <span>#{entry.seq}</span>
          </div>
          {entry.image && <div className="detail-image"><code>{entry.image}</code></div>}
        </div>
        {error && !entry.rewrite?.engineError && (
          <section className="detail-section" aria-label="Error">
            <div className="callout callout-bad" role="note"><Icon name="alert" /> <span>{error}</span></div>
          </section>
        )}
        <PullActions entry={entry} />
        <RequestLine entry={entry} detail={detail} loaded={loaded !== null} />
        {entry.rewrite && <Trace trace={entry.rewrite} entry={entry} />}
        <ImageSummary entry={entry} />
        {detail && <Progress detail={detail} />}
        {loaded?.error && <p className="callout callout-bad">Could not load the details: {loaded.error}</p>}
        {loaded && !loaded.error && !detail && <p className="muted small">Headers are no longer held by the engine (its log has moved on).</p>}
        {detail && <Headers title="Request headers" headers={detail.requestHeaders} />}
        {detail && <Headers title="Response headers" headers={detail.responseHeaders} />}
      </>
    );
  }

  return (
    <aside className="detail" id="request-detail" aria-label="Request detail">
      <div className="detail-bar">
        <h2 className="detail-bar-title">Request</h2>
        <button type="button" className="icon-button" aria-label="Close detail" title="Close (Esc)" onClick={close}>
          <Icon name="close" />
        </button>
      </div>
      {/* Focusable so the keyboard can scroll it; Escape closes it from anywhere (app/shortcuts.ts). */}
      <div className="detail-scroll" tabIndex={0} role="region" aria-label="Request detail content">{body}</div>
    </aside>
  );
}
