// "Check mirror": asks main whether a mirror's /v2/ endpoint answers, and shows the result
// (reachable, needs login, unreachable, with the reason). Used by the rule form and the
// request detail.
import { useState, type ReactElement } from 'react';
import { MAX_DRAFT_MIRRORS, type MirrorCheck } from '#shared/ipc';
import { invoke } from '../api';
import { useApp } from '../store/store';

export type CheckState = { state: 'checking' } | { state: 'done'; result: MirrorCheck } | { state: 'error'; error: string };

/** The checks made so far, by location, and the function that makes one. */
export function useMirrorChecks(): [Record<string, CheckState>, (location: string) => Promise<void>] {
  const [checks, setChecks] = useState<Record<string, CheckState>>({});
  const check = async (location: string): Promise<void> => {
    setChecks((c) => ({ ...c, [location]: { state: 'checking' } }));
    // Main checks only locations in the rules: the saved ones or those of the draft it was last told.
    const mirrors = (useApp.getState().draft?.rules ?? []).flatMap((r) => ('to' in r ? r.to : [])).filter((to) => to !== '' && to.length <= 255);
    const reported = await invoke('rules.draft', { mirrors: [...new Set(mirrors)].slice(0, MAX_DRAFT_MIRRORS) });
    const result = reported.ok ? await invoke('mirror.check', { location }) : reported;
    setChecks((c) => ({ ...c, [location]: result.ok ? { state: 'done', result: result.value } : { state: 'error', error: result.error } }));
  };
  return [checks, check];
}

export function CheckBadge({ check }: { check: CheckState | undefined }): ReactElement | null {
  if (!check) return null;
  if (check.state === 'checking') return <span className="check check-busy" role="status">checking…</span>;
  if (check.state === 'error') return <span className="check check-unreachable" role="status" title={check.error}>check failed: {check.error}</span>;
  const { result } = check;
  return (
    <span className={`check check-${result.state.replace(' ', '-')}`} role="status" title={result.reason}>
      {result.state}<span className="check-reason"> · {result.reason}</span>
    </span>
  );
}
