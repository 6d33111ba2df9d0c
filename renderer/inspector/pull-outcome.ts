// What the list's "came from / reason" column and its size column say for one request, in a
// few words: where a pull's image came from, or why it did not. Pure.
import type { LogEntry } from '#shared/log';
import { cacheLabel } from '#shared/rules/cache-rules';
import { formatBytes } from '../ui/format';

/** The registry part of a reference (`localhost:5000` of `localhost:5000/ubuntu:18.04`). */
export const registryOf = (ref: string): string => ref.split('/')[0] ?? ref;

const firstFailure = (entry: LogEntry): string | undefined =>
  entry.rewrite?.candidates.find((c) => c.outcome === 'failed')?.reason;

/** Hit or miss, for a pull the local cache served and could tell. */
export function cacheVerdict(entry: LogEntry): 'hit' | 'miss' | undefined {
  const trace = entry.rewrite;
  if (entry.action !== 'redirected' || trace?.engineError || trace?.rule?.cache === undefined) return undefined;
  const served = trace.cache?.served?.kind;
  return served === 'hit' || served === 'miss' ? served : undefined;
}

/** The column's words: where the image came from, and for a pull through the cache its verdict. */
export function cameFrom(entry: LogEntry): string {
  const verdict = cacheVerdict(entry);
  return verdict ? `${cameFromSource(entry)}, ${verdict}` : cameFromSource(entry);
}

/** The column's words without the cache verdict (the list shows that apart, so it is never cut off). */
export function cameFromSource(entry: LogEntry): string {
  const trace = entry.rewrite;
  if (!trace) return entry.error ?? '';
  if (trace.engineError) return 'engine not answering';
  switch (entry.action) {
    case 'redirected':
      if (trace.rule?.cache !== undefined) return cacheLabel(trace.rule.cache);
      return trace.source ? `${registryOf(trace.source)} (mirror)` : 'a mirror';
    case 'fell back': {
      const reason = firstFailure(entry);
      return reason ? `original registry (mirror: ${reason})` : 'original registry';
    }
    case 'blocked':
      return trace.rule ? `blocked by rule for ${trace.rule.from}` : 'blocked';
    case 'failed': {
      const failed = trace.candidates.filter((c) => c.outcome === 'failed');
      return failed.at(-1)?.reason ?? entry.error ?? 'failed';
    }
    case 'passed':
      return trace.rule ? `original registry (rule for ${trace.rule.from} takes digests only)` : 'original registry (no rule)';
  }
}

/** A pull's image bytes when the engine reported them; other requests' response size. */
export function sizeText(entry: LogEntry): string {
  if (entry.route !== 'pull') return formatBytes(entry.bytesOut);
  return entry.imageBytes === undefined ? '—' : formatBytes(entry.imageBytes);
}
