// Reads a request head exactly as Go's net/http server does (the HTTP stack of dockerd, Go
// 1.19's server.go, request.go, transfer.go and net/textproto), so that the proxy and the engine
// always agree on which requests a byte stream holds and where each body ends. Pure: text in,
// head or RequestRejected out. Never more lenient than Go where a request is acted upon.
import { isName, type FramingHeaders, type Headers } from './http-stream';

/** A request Go's server refuses: the status it answers with before closing the connection. */
export class RequestRejected extends Error {
  constructor(readonly status: 400 | 413 | 417 | 431 | 501 | 505, message: string) {
    super(message);
  }
}

export interface RequestHead {
  method: string;
  /** The request target as sent (origin-form, absolute-form, `*` or opaque). */
  target: string;
  /** The target in origin-form (path and query), what routes are classified by. */
  originTarget: string;
  version: string;
  /** HTTP/1.0 (or older minor): answered with 1.0 responses and, unless kept alive, closed. */
  http10: boolean;
  /** Header lines as sent (folded lines joined), in order. */
  headers: Headers;
  framing: FramingHeaders;
  /** How the body is delimited, decided as Go decides. */
  body: RequestBody;
  /** The connection ends after this request's response (Connection: close, HTTP/1.0). */
  close: boolean;
  /** `Expect: 100-continue` on an HTTP/1.1 request with a body: Go answers 100 when it reads it. */
  expectContinue: boolean;
}

export type RequestBody = { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' };

const NO_BODY: RequestBody = { kind: 'none' };
const CHUNKED: RequestBody = { kind: 'chunked' };

/** Bytes of header token characters (RFC 7230 tchar), as Go's isTokenTable. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TOKEN[c] = 1;
for (let c = 65; c <= 90; c++) TOKEN[c] = TOKEN[c + 32] = 1;

/** Bytes Go allows in a Host header (httpguts.validHostByte). */
const HOST = new Uint8Array(256);
for (const c of "!$%&()*+,-.:;=[]'_~") HOST[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) HOST[c] = 1;
for (let c = 65; c <= 90; c++) HOST[c] = HOST[c + 32] = 1;

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!TOKEN[s.charCodeAt(i)]) return false;
  return true;
}

const bad = (message: string) => new RequestRejected(400, message);

/** The end of the line starting at `from` (its LF, or the end of the text). */
function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl === -1 ? text.length : nl;
}

/** The end of a line's content: one CR before its LF is not part of it (bufio.ReadLine). */
function contentEnd(text: string, from: number, end: number): number {
  return end > from && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
}

const isBlank = (c: number) => c === 32 || c === 9;

/**
 * Parses a head: request line and header lines, each ended by LF or CRLF as Go's textproto
 * reads them, without the empty line that ends the head. Walks the text without splitting it.
 */
export function parseRequestHead(text: string): RequestHead {
  const firstEnd = lineEnd(text, 0);
  const line = text.slice(0, contentEnd(text, 0, firstEnd));
  const sp1 = line.indexOf(' ');
  const sp2 = sp1 === -1 ? -1 : line.indexOf(' ', sp1 + 1);
  if (sp2 === -1) throw bad(`malformed HTTP request ${JSON.stringify(line.slice(0, 80))}`);
  const method = line.slice(0, sp1);
  const target = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!isToken(method)) throw bad(`invalid method ${JSON.stringify(method.slice(0, 20))}`);
  const proto = parseVersion(version);
  if (!proto) throw bad(`malformed HTTP version ${JSON.stringify(version.slice(0, 20))}`);
  const originTarget = requestTarget(method, target);
  const headers = readHeaderLines(text, firstEnd + 1);

  // The headers that matter, matched as Go matches canonical keys (token names, any case).
  const framing: FramingHeaders = { contentLength: [] };
  const transferEncodings: string[] = [];
  let hosts = 0;
  let host = '';
  let trailers: string[] | undefined;
  let connection: string[] | undefined;
  let expect: string | undefined;
  for (const [name, value] of headers) {
    switch (name.length) {
      case 4:
        if (isName('host', name) && hosts++ === 0) host = value;
        break;
      case 6: if (isName('expect', name)) expect ??= value; break;
      case 7:
        if (isName('trailer', name)) (trailers ??= []).push(value);
        else if (isName('upgrade', name)) framing.upgrade ??= value;
        break;
      case 10:
        if (isName('connection', name)) {
          framing.connection ??= value;
          (connection ??= []).push(value);
        }
        break;
      case 14: if (isName('content-length', name)) framing.contentLength.push(value); break;
      case 17: if (isName('transfer-encoding', name)) transferEncodings.push(value); break;
    }
  }
  // Checked in Go's order, so that a head with several faults gets Go's status.
  if (hosts > 1) throw bad('too many Host headers');
  const before11 = proto.major < 1 || (proto.major === 1 && proto.minor < 1);
  const body = bodyOf(before11 ? [] : transferEncodings, framing);
  if (body === CHUNKED) {
    framing.transferEncoding = transferEncodings[0];
    if (trailers) checkTrailerKeys(trailers);
  }
  if (proto.major !== 1) throw new RequestRejected(505, `unsupported protocol version ${version.slice(0, 20)}`);
  if (!before11 && hosts === 0 && method !== 'CONNECT') throw bad('missing required Host header');
  if (hosts === 1 && !validHost(host)) throw bad('malformed Host header');
  for (const [name, value] of headers) {
    if (!isToken(name)) throw bad('invalid header name');
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if ((c < 32 && c !== 9) || c === 127) throw bad('invalid header value');
    }
  }
  const http10 = before11;
  const hasClose = connection !== undefined && connection.some((v) => containsToken(v, 'close'));
  const close = http10 ? hasClose || !connection?.some((v) => containsToken(v, 'keep-alive')) : hasClose;
  let expectContinue = false;
  if (expect !== undefined && hasToken(expect, '100-continue')) expectContinue = !http10 && body.kind !== 'none';
  else if (expect) throw new RequestRejected(417, `unsupported expectation ${JSON.stringify(expect.slice(0, 40))}`);
  return { method, target, originTarget, version, http10, headers, framing, body, close, expectContinue };
}

/**
 * Header lines from `from` on, as textproto.ReadMIMEHeader reads them: LF or CRLF ends a line,
 * obs-fold lines are joined, empty names skipped, the first empty line ends them.
 */
function readHeaderLines(text: string, from: number): Headers {
  const headers: Headers = [];
  if (from < text.length && isBlank(text.charCodeAt(from))) {
    throw bad(`malformed MIME header initial line ${JSON.stringify(text.slice(from, contentEnd(text, from, lineEnd(text, from))).slice(0, 80))}`);
  }
  let pos = from;
  while (pos < text.length) {
    const end = lineEnd(text, pos);
    let stop = contentEnd(text, pos, end);
    if (stop === pos) break;
    const colon = text.indexOf(':', pos);
    if (colon === -1 || colon >= stop) throw bad(`malformed MIME header: missing colon ${JSON.stringify(text.slice(pos, stop).slice(0, 80))}`);
    let next = end + 1;
    if (next < text.length && isBlank(text.charCodeAt(next))) {
      // Continuation lines (obs-fold) start with a space or tab and join with one space.
      let kv = trimWhitespace(text.slice(pos, stop));
      while (next < text.length && isBlank(text.charCodeAt(next))) {
        const e = lineEnd(text, next);
        kv += ' ' + trimWhitespace(text.slice(next, contentEnd(text, next, e)));
        next = e + 1;
      }
      const c = kv.indexOf(':');
      if (c > 0) headers.push([kv.slice(0, c), kv.slice(c + 1).replace(/^[ \t]+/, '')]);
    } else {
      // One line: name before the colon, value after it, spaces and tabs trimmed around.
      let start = pos;
      while (start < stop && isBlank(text.charCodeAt(start))) start++;
      while (stop > start && isBlank(text.charCodeAt(stop - 1))) stop--;
      let value = colon + 1;
      while (value < stop && isBlank(text.charCodeAt(value))) value++;
      if (colon > start) headers.push([text.slice(start, colon), text.slice(value, Math.max(value, stop))]);
    }
    pos = next;
  }
  return headers;
}

function trimWhitespace(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s[a] === ' ' || s[a] === '\t')) a++;
  while (b > a && (s[b - 1] === ' ' || s[b - 1] === '\t')) b--;
  return s.slice(a, b);
}

/** textproto.TrimString: ASCII space, tab, CR and LF. */
function trimString(s: string): string {
  return s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

function checkTrailerKeys(trailers: string[]): void {
  for (const value of trailers) {
    for (const key of value.split(',')) {
      const k = trimString(key).toLowerCase();
      if (k === 'transfer-encoding' || k === 'trailer' || k === 'content-length') throw bad(`bad trailer key ${k}`);
    }
  }
}

function validHost(host: string): boolean {
  for (let i = 0; i < host.length; i++) if (!HOST[host.charCodeAt(i)]) return false;
  return true;
}

const HTTP11 = { major: 1, minor: 1 } as const;
const HTTP10 = { major: 1, minor: 0 } as const;

function parseVersion(v: string): { major: number; minor: number } | null {
  if (v === 'HTTP/1.1') return HTTP11;
  if (v === 'HTTP/1.0') return HTTP10;
  if (v.length !== 8 || !v.startsWith('HTTP/') || v[6] !== '.') return null;
  const major = v.charCodeAt(5) - 48;
  const minor = v.charCodeAt(7) - 48;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return null;
  return { major, minor };
}

/** Body framing (transfer.go): chunked (HTTP/1.1 only), else Content-Length, else none. */
function bodyOf(transferEncodings: string[], framing: FramingHeaders): RequestBody {
  if (transferEncodings.length > 0) {
    if (transferEncodings.length !== 1) throw new RequestRejected(501, 'too many transfer encodings');
    if (transferEncodings[0]!.toLowerCase() !== 'chunked') throw new RequestRejected(501, `unsupported transfer encoding ${JSON.stringify(transferEncodings[0]!.slice(0, 40))}`);
    // Go drops Content-Length when the body is chunked.
    framing.contentLength = [];
    return CHUNKED;
  }
  const lengths = framing.contentLength;
  if (lengths.length === 0) return NO_BODY;
  const first = trimString(lengths[0]!);
  for (const other of lengths) if (trimString(other) !== first) throw bad('conflicting Content-Length headers');
  if (first === '') return NO_BODY;
  if (!/^\d+$/.test(first)) throw bad(`bad Content-Length ${JSON.stringify(first.slice(0, 20))}`);
  const n = BigInt(first);
  if (n > 0x7fffffffffffffffn) throw bad(`bad Content-Length ${JSON.stringify(first.slice(0, 20))}`);
  if (n === 0n) return NO_BODY;
  return { kind: 'length', length: Number(n) };
}

/**
 * Go's url.ParseRequestURI for a request line: the origin-form target routes are classified by,
 * or a RequestRejected where Go refuses the target.
 */
function requestTarget(method: string, raw: string): string {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 32 || c === 127) throw bad('invalid control character in URL');
  }
  if (method === 'CONNECT' && !raw.startsWith('/')) raw = `http://${raw}`;
  if (raw === '') throw bad('empty url');
  if (raw === '*') return '*';
  const scheme = schemeOf(raw);
  let rest = scheme === null ? raw : raw.slice(scheme.length + 1);
  const q = rest.endsWith('?') && rest.indexOf('?') === rest.length - 1 ? rest.length - 1 : rest.indexOf('?');
  const query = q === -1 ? '' : rest.slice(q);
  rest = q === -1 ? rest : rest.slice(0, q);
  if (!rest.startsWith('/')) {
    if (scheme !== null) return `/${query}`;
    throw bad('invalid URI for request');
  }
  if (scheme !== null && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    checkAuthority(slash === -1 ? rest.slice(2) : rest.slice(2, slash));
    rest = slash === -1 ? '' : rest.slice(slash);
  }
  checkEscapes(rest);
  return (rest || '/') + query;
}

/** url.getScheme: letters, then letters, digits, `+`, `-` or `.`, up to a `:`. */
function schemeOf(raw: string): string | null {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90)) continue;
    if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) {
      if (i === 0) return null;
      continue;
    }
    if (c === 58) {
      if (i === 0) throw bad('missing protocol scheme');
      return raw.slice(0, i);
    }
    return null;
  }
  return null;
}

/** Percent-escapes must be `%` and two hex digits (url.unescape). */
function checkEscapes(s: string): void {
  for (let i = s.indexOf('%'); i !== -1; i = s.indexOf('%', i + 1)) {
    if (!/^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) throw bad('invalid URL escape');
  }
}

/** url.parseAuthority and parseHost, for absolute-form targets. */
function checkAuthority(authority: string): void {
  const at = authority.lastIndexOf('@');
  if (at !== -1 && !/^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/.test(authority.slice(0, at))) throw bad('net/url: invalid userinfo');
  let host = at === -1 ? authority : authority.slice(at + 1);
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close === -1) throw bad("missing ']' in host");
    const port = host.slice(close + 1);
    if (port !== '' && !/^:\d*$/.test(port)) throw bad('invalid port after host');
    host = host.slice(1, close);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1) {
      if (!/^:\d*$/.test(host.slice(colon))) throw bad('invalid port after host');
      host = host.slice(0, colon);
    }
    if (!/^[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"%\x80-\xff]*$/.test(host)) throw bad('invalid character in host name');
  }
  checkEscapes(host);
}

/** Go's hasToken: a case-insensitive token bounded by space, tab or comma. */
function hasToken(v: string, token: string): boolean {
  const lower = v.toLowerCase();
  for (let i = lower.indexOf(token); i !== -1; i = lower.indexOf(token, i + 1)) {
    const before = i === 0 ? ' ' : lower[i - 1]!;
    const after = i + token.length === lower.length ? ' ' : lower[i + token.length]!;
    if (' ,\t'.includes(before) && ' ,\t'.includes(after)) return true;
  }
  return false;
}

/** httpguts.HeaderValuesContainsToken for one value: comma-separated, trimmed, case-insensitive. */
function containsToken(v: string, token: string): boolean {
  return v.split(',').some((part) => trimWhitespace(part).toLowerCase() === token);
}
