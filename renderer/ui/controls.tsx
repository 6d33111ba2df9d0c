// Small shared controls: a switch, an action badge, a status code, an empty state.
import type { ReactElement, ReactNode } from 'react';
import type { LogAction } from '#shared/log';
import { statusClass } from '#shared/log-filter';

export function Switch({ checked, onChange, label, disabled, id, compact }: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: string;
  disabled?: boolean;
  id?: string;
  compact?: boolean;
}): ReactElement {
  return (
    <button type="button" role="switch" id={id} aria-checked={checked} aria-label={label} disabled={disabled}
      className={`switch${compact ? ' switch-compact' : ''}`} onClick={() => onChange(!checked)}>
      <span className="switch-thumb" />
    </button>
  );
}

export const actionLabels: Record<LogAction, string> = {
  redirected: 'redirected', 'fell back': 'fell back', blocked: 'blocked', passed: 'passed', failed: 'failed',
};

export function ActionBadge({ action }: { action: LogAction }): ReactElement {
  return <span className={`badge badge-${action.replace(' ', '-')}`}>{actionLabels[action]}</span>;
}

export function StatusCode({ status, pending }: { status: number | null; pending: boolean }): ReactElement {
  const cls = statusClass({ status, pending }).replace(' ', '-');
  return <span className={`status status-${cls}`}>{status ?? (pending ? '…' : '—')}</span>;
}

export function EmptyState({ title, children, icon }: { title: string; children?: ReactNode; icon?: ReactNode }): ReactElement {
  return (
    <div className="empty">
      {icon && <div className="empty-icon">{icon}</div>}
      <div className="empty-title">{title}</div>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}
