// How `serve` prints one finished request: a readable text line or one NDJSON object.
// Pure; prints only the redacted summary, never headers or bodies, and one entry is always
// one line: control characters a registry or client put in a text are shown escaped.
import type { LogDetail, LogEntry } from '#shared/log';
import { cacheTraceText } from '#shared/cache-served';

export type LogFormat = 'text' | 'json';

/** Bytes in decimal units, as shared/bytes.ts says why; without spaces, one token of a log line. */
export function formatBytes(n: number): string {
  if (n < 1e3) return `${n}B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)}kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)}MB`;
  return `${(n / 1e9).toFixed(2)}GB`;
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

export function formatLogLine(entry: LogEntry | LogDetail, format: LogFormat): string {
  if (format === 'json') return jsonLine(entry);
  let line = `${isoTime(entry.time)} ${entry.method} ${entry.path} ${entry.status === null ? '-' : entry.status} ${formatDuration(entry.durationMs)} in=${formatBytes(entry.bytesIn)} out=${formatBytes(entry.bytesOut)}`;
  if (entry.upgraded) line += ' upgraded';
  const rewrite = describeRewrite(entry);
  if (rewrite) line += ` ${rewrite}`;
  if (entry.error) line += ` error: ${entry.error}`;
  return escapeControls(line);
}

/** The ISO time of the last second formatted, without its milliseconds (`2026-12-01T22:51:09.`). */
let isoSecond = NaN;
let isoPrefix = '';

/** `new Date(ms).toISOString()`, with the text of the second kept: a second holds many lines. */
function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) return new Date(ms).toISOString();
  const millis = ms % 1000;
  const second = ms - millis;
  if (second !== isoSecond) {
    const iso = new Date(second).toISOString();
    isoPrefix = iso.slice(0, iso.length - 4);
    isoSecond = second;
  }
  return `${isoPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/**
 * The JSON line of an entry: the object `summary(entry)` is (no headers, a pull's image bytes
 * instead of its progress), its keys in the order the proxy creates them. One object literal of
 * one shape for JSON.stringify: copying the entry without its details cost several times as
 * much, and numbers written into a template go through V8's number-string cache, whose every
 * new entry (a seq, a duration) outlives the young generation.
 */
export function jsonLine(entry: LogEntry | LogDetail): string {
  const { progress } = entry as Partial<LogDetail>;
  return JSON.stringify({
    time: entry.time, method: entry.method, path: entry.path, apiVersion: entry.apiVersion, route: entry.route, image: entry.image,
    status: entry.status, pending: entry.pending, durationMs: entry.durationMs, bytesIn: entry.bytesIn, bytesOut: entry.bytesOut,
    action: entry.action, upgraded: entry.upgraded, seq: entry.seq, rewrite: entry.rewrite, error: entry.error,
    imageBytes: progress && progress.bytesTotal > 0 ? progress.bytesDone : entry.imageBytes,
  } satisfies Record<keyof LogEntry, unknown>);
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
