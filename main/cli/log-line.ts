// How `serve` prints one finished request: a readable text line or one NDJSON object.
// Pure; prints only the redacted summary, never headers or bodies, and one entry is always
// one line: control characters a registry or client put in a text are shown escaped.
import type { LogEntry } from '#shared/log';
import { cacheTraceText } from '#shared/cache-served';

export type LogFormat = 'text' | 'json';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)}kB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)}MB`;
  return `${(n / 1024 ** 3).toFixed(2)}GB`;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)}ms` : `${(ms / 1000).toFixed(2)}s`;
}

/** What the rewrite did, in a few words (`redirected to X by rule docker.io`), or ''. */
export function describeRewrite(entry: LogEntry): string {
  const r = entry.rewrite;
  if (!r) return entry.action === 'passed' ? '' : entry.action;
  const rule = r.rule ? ` by rule ${r.rule.name ? `"${r.rule.name}" (${r.rule.from})` : r.rule.from}` : '';
  const failed = r.candidates.filter((c) => c.outcome === 'failed').map((c) => `${c.ref}: ${c.reason ?? 'failed'}`);
  const tail = failed.length ? ` [failed ${failed.join('; ')}]` : '';
  const retag = r.retag.length ? ` retag ${r.retag.map((t) => `${t.ref}${t.ok ? '' : ` (failed: ${t.error})`}`).join(', ')}` : '';
  const untag = r.untag.length ? ` untag ${r.untag.map((t) => `${t.ref}${t.ok ? '' : ` (failed: ${t.error})`}`).join(', ')}` : '';
  const mapped = r.mappedTo ? ` mapped to ${r.mappedTo}` : '';
  const cache = r.cache ? ` (${cacheTraceText(r.cache)})` : '';
  switch (entry.action) {
    case 'redirected':
      return `redirected ${r.original} -> ${r.source ?? '?'}${rule}${cache}${retag}${untag}${tail}`;
    case 'fell back':
      return `fell back to ${r.source ?? r.original}${rule}${cache}${tail}`;
    case 'blocked':
      return `blocked ${r.original}${rule}`;
    case 'failed':
      return `failed ${r.original}${rule}${cache}${tail}`;
    default:
      return mapped ? `passed${mapped}` : r.rule ? `passed ${r.original}${rule}` : '';
  }
}

export function formatLogLine(entry: LogEntry, format: LogFormat): string {
  if (format === 'json') return JSON.stringify(entry);
  const parts = [
    new Date(entry.time).toISOString(),
    entry.method,
    entry.path,
    entry.status === null ? '-' : String(entry.status),
    formatDuration(entry.durationMs),
    `in=${formatBytes(entry.bytesIn)}`,
    `out=${formatBytes(entry.bytesOut)}`,
  ];
  if (entry.upgraded) parts.push('upgraded');
  const rewrite = describeRewrite(entry);
  if (rewrite) parts.push(rewrite);
  if (entry.error) parts.push(`error: ${entry.error}`);
  return escapeControls(parts.join(' '));
}

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** C0 and C1 controls, DEL and the Unicode line separators as visible escapes (`\n`, `\x1b`, `\u2028`). */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return NAMED_ESCAPES[c] ?? (code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, '0')}`);
  });
}
