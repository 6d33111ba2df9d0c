// Tells the user when a rule made a pull fall back, fail or be refused, if the config's
// `notifications` switch is on. Never notifies about pulls no rule touched.
import type { LogDetail, LogEntry } from '#shared/log';
import type { Engine } from '../engine/engine';
import { summary } from '../engine/log/log-store';

export interface PullNotification {
  title: string;
  body: string;
}

/** The notification for a finished pull, or null when there is nothing to say. */
export function pullNotification(entry: LogEntry): PullNotification | null {
  const rule = entry.rewrite?.rule;
  if (entry.route !== 'pull' || entry.pending || !rule) return null;
  const image = entry.image ?? entry.rewrite?.original ?? 'an image';
  const ruleName = `Rule ${rule.name ? `"${rule.name}" (${rule.from})` : rule.from}`;
  switch (entry.action) {
    case 'fell back': {
      const failures = (entry.rewrite?.candidates ?? [])
        .filter((c) => c.kind === 'mirror' && c.outcome === 'failed')
        .map((c) => `${c.ref}: ${c.reason ?? 'failed'}`);
      const source = entry.rewrite?.source ?? entry.rewrite?.original ?? 'the original registry';
      return {
        title: `${image} came from the original registry`,
        body: `${ruleName}: ${failures.length > 0 ? `every mirror failed (${failures.join('; ')})` : 'no mirror could serve it'}. Pulled ${source} instead.`,
      };
    }
    case 'failed':
      return { title: `Pull of ${image} failed`, body: `${ruleName}: ${entry.error ?? 'every candidate failed'}` };
    case 'blocked':
      return { title: `Pull of ${image} blocked`, body: `${ruleName}: ${entry.error ?? 'pulls from here are blocked'}` };
    default:
      return null;
  }
}

/** Watches finished pulls and shows their notification while the config allows it; returns the unsubscribe. */
export function notifyPulls(engine: Pick<Engine, 'logs' | 'config'>, show: (notification: PullNotification) => void): () => void {
  return engine.logs.subscribe((entry, kind) => {
    if (kind !== 'end' || entry.route !== 'pull' || !engine.config.get().config.notifications) return;
    const notification = pullNotification(summary(entry as LogDetail));
    if (notification) show(notification);
  });
}
