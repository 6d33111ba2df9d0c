// Turns request-log entries into files people share: NDJSON (one entry per line) and HAR 1.2.
// Fields are copied by name from an allow-list, so nothing the log grows later (a body, a raw
// header) leaks into an export by accident. Secrets were redacted by main before this sees them.
import type { LogDetail, LogEntry, PullProgress, RewriteTrace } from './log';

/** Anything with a summary; a `LogDetail` adds headers, the forwarded path and progress. */
export type ExportableEntry = LogEntry | LogDetail;

/** What one NDJSON line holds. */
export interface ExportedEntry {
  seq: number;
  time: string;
  method: string;
  path: string;
  apiVersion?: string;
  route: string;
  image?: string;
  status: number | null;
  pending: boolean;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
  action: string;
  upgraded: boolean;
  error?: string;
  rewrite?: RewriteTrace;
  forwardedPath?: string;
  requestHeaders?: [string, string][];
  responseHeaders?: [string, string][];
  progress?: PullProgress;
}

const isDetail = (entry: ExportableEntry): entry is LogDetail => 'requestHeaders' in entry;

const copyRewrite = (r: RewriteTrace): RewriteTrace => ({
  original: r.original,
  ...(r.rule ? { rule: { index: r.rule.index, from: r.rule.from, ...(r.rule.name !== undefined ? { name: r.rule.name } : {}) } } : {}),
  action: r.action,
  candidates: r.candidates.map((c) => ({
    ref: c.ref, kind: c.kind, outcome: c.outcome,
    ...(c.reason !== undefined ? { reason: c.reason } : {}),
    startedMs: c.startedMs, durationMs: c.durationMs,
  })),
  ...(r.source !== undefined ? { source: r.source } : {}),
  retag: r.retag.map((f) => ({ ref: f.ref, ok: f.ok, ...(f.error !== undefined ? { error: f.error } : {}) })),
  untag: r.untag.map((f) => ({ ref: f.ref, ok: f.ok, ...(f.error !== undefined ? { error: f.error } : {}) })),
  ...(r.mappedTo !== undefined ? { mappedTo: r.mappedTo } : {}),
});

const copyHeaders = (headers: [string, string][]): [string, string][] => headers.map(([n, v]) => [n, v]);

export function exportedEntry(entry: ExportableEntry): ExportedEntry {
  const out: ExportedEntry = {
    seq: entry.seq,
    time: new Date(entry.time).toISOString(),
    method: entry.method,
    path: entry.path,
    route: entry.route,
    status: entry.status,
    pending: entry.pending,
    durationMs: entry.durationMs,
    bytesIn: entry.bytesIn,
    bytesOut: entry.bytesOut,
    action: entry.action,
    upgraded: entry.upgraded,
  };
  if (entry.apiVersion !== undefined) out.apiVersion = entry.apiVersion;
  if (entry.image !== undefined) out.image = entry.image;
  if (entry.error !== undefined) out.error = entry.error;
  if (entry.rewrite !== undefined) out.rewrite = copyRewrite(entry.rewrite);
  if (isDetail(entry)) {
    if (entry.forwardedPath !== undefined) out.forwardedPath = entry.forwardedPath;
    out.requestHeaders = copyHeaders(entry.requestHeaders);
    out.responseHeaders = copyHeaders(entry.responseHeaders);
    if (entry.progress !== undefined) out.progress = { ...entry.progress };
  }
  return out;
}

/** One JSON object per line, each line ending in `\n` (empty input gives an empty string). */
export function toNdjson(entries: Iterable<ExportableEntry>): string {
  let out = '';
  for (const entry of entries) out += JSON.stringify(exportedEntry(entry)) + '\n';
  return out;
}

// ---- HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) ----

export interface HarHeader { name: string; value: string }
export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string; url: string; httpVersion: string; cookies: []; headers: HarHeader[];
    queryString: HarHeader[]; headersSize: -1; bodySize: number;
  };
  response: {
    status: number; statusText: string; httpVersion: string; cookies: []; headers: HarHeader[];
    content: { size: number; mimeType: string }; redirectURL: ''; headersSize: -1; bodySize: -1;
    /** Bytes sent to the client, head included (Chrome's HAR uses the same name). */
    _transferSize: number;
  };
  cache: Record<string, never>;
  timings: { send: number; wait: number; receive: number };
  /** What docker-caching knows beyond HTTP (custom fields start with `_`). */
  _dockerCaching: Omit<ExportedEntry, 'time' | 'method' | 'path' | 'status' | 'requestHeaders' | 'responseHeaders'>;
}
export interface Har {
  log: { version: '1.2'; creator: { name: string; version: string }; entries: HarEntry[] };
}

/** The Docker API is HTTP over a Unix socket; moby's client names the host `api.moby.localhost`. */
export const HAR_BASE_URL = 'http://api.moby.localhost';

const statusTexts: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 204: 'No Content',
  301: 'Moved Permanently', 302: 'Found', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 500: 'Internal Server Error',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

const harHeaders = (headers: [string, string][] | undefined): HarHeader[] =>
  (headers ?? []).map(([name, value]) => ({ name, value }));

function queryString(path: string): HarHeader[] {
  const q = path.indexOf('?');
  if (q < 0) return [];
  return [...new URLSearchParams(path.slice(q + 1))].map(([name, value]) => ({ name, value }));
}

export function toHar(entries: Iterable<ExportableEntry>, creatorVersion: string): Har {
  const out: HarEntry[] = [];
  for (const entry of entries) {
    const e = exportedEntry(entry);
    const { time, method, path, status, requestHeaders, responseHeaders, ...rest } = e;
    const contentType = responseHeaders?.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? '';
    out.push({
      startedDateTime: time,
      time: e.durationMs,
      request: {
        method, url: HAR_BASE_URL + path, httpVersion: 'HTTP/1.1', cookies: [],
        headers: harHeaders(requestHeaders), queryString: queryString(path), headersSize: -1, bodySize: e.bytesIn,
      },
      response: {
        status: status ?? 0, statusText: status === null ? '' : (statusTexts[status] ?? ''),
        httpVersion: 'HTTP/1.1', cookies: [], headers: harHeaders(responseHeaders),
        content: { size: e.bytesOut, mimeType: contentType }, redirectURL: '', headersSize: -1, bodySize: -1,
        _transferSize: e.bytesOut,
      },
      cache: {},
      timings: { send: 0, wait: e.durationMs, receive: 0 },
      _dockerCaching: rest,
    });
  }
  return { log: { version: '1.2', creator: { name: 'docker-caching', version: creatorVersion }, entries: out } };
}
