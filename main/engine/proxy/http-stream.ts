// Incremental HTTP/1.x response framing for the byte-pipe proxy: finds where the engine's
// response heads and bodies start and end, so exchanges can be logged and finished in order.
// (Requests are split by request-reader.ts, as Go's server splits them.) Never copies or
// joins body bytes: bodies are handed on as slices of the buffers that were read.
export type { RequestHead } from './request-head';

export type Headers = [string, string][];

/** The headers that decide framing, gathered while the head is parsed (one pass, one lower-casing). */
export interface FramingHeaders {
  contentLength: string[];
  transferEncoding?: string;
  upgrade?: string;
  connection?: string;
}

export interface ResponseHead {
  version: string;
  status: number;
  reason: string;
  headers: Headers;
  framing: FramingHeaders;
}

/** How the body that follows a head is delimited. */
export type Framing =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  /** Everything until the peer closes: a response without length, or a hijacked stream. */
  | { kind: 'until-close' };

export class MalformedHttp extends Error {}

/** Largest response head accepted. */
const MAX_HEAD_BYTES = 1 << 20;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Walks the header lines of a head (after its first line) without splitting the text. */
function parseHeaderLines(text: string, from: number): { headers: Headers; framing: FramingHeaders } {
  const headers: Headers = [];
  const framing: FramingHeaders = { contentLength: [] };
  let pos = from;
  while (pos < text.length) {
    let end = text.indexOf('\r\n', pos);
    if (end === -1) end = text.length;
    const colon = text.indexOf(':', pos);
    if (colon <= pos || colon > end) throw new MalformedHttp(`malformed header line ${JSON.stringify(text.slice(pos, Math.min(end, pos + 80)))}`);
    const name = text.slice(pos, colon);
    if (!TOKEN.test(name)) throw new MalformedHttp(`invalid header name ${JSON.stringify(name.slice(0, 80))}`);
    const value = text.slice(colon + 1, end).trim();
    headers.push([name, value]);
    noteFraming(framing, name, value);
    pos = end + 2;
  }
  return { headers, framing };
}

/** True when `name` (from `from` in `text`) is `lower` in any ASCII case: compared without a lower-cased copy. */
export function isName(lower: string, text: string, from = 0, length = text.length - from): boolean {
  if (length !== lower.length) return false;
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(from + i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** The framing header a name is, if any (names compared in any case, without copies). */
function framingName(text: string, from: number, length: number): keyof FramingHeaders | null {
  switch (length) {
    case 14: return isName('content-length', text, from, length) ? 'contentLength' : null;
    case 17: return isName('transfer-encoding', text, from, length) ? 'transferEncoding' : null;
    case 7: return isName('upgrade', text, from, length) ? 'upgrade' : null;
    case 10: return isName('connection', text, from, length) ? 'connection' : null;
    default: return null;
  }
}

/** Records a header if it decides framing. */
function noteFraming(framing: FramingHeaders, name: string, value: string): void {
  const which = framingName(name, 0, name.length);
  if (which === 'contentLength') framing.contentLength.push(value);
  else if (which !== null) framing[which] ??= value;
}

function firstLineEnd(text: string): number {
  const end = text.indexOf('\r\n');
  return end === -1 ? text.length : end;
}

export function parseResponseHead(text: string): ResponseHead {
  const lineEnd = firstLineEnd(text);
  const match = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/.exec(text.slice(0, lineEnd));
  if (!match) throw new MalformedHttp(`malformed status line ${JSON.stringify(text.slice(0, Math.min(lineEnd, 80)))}`);
  return { version: match[1]!, status: Number(match[2]), reason: match[3] ?? '', ...parseHeaderLines(text, lineEnd + 2) };
}

/**
 * What the proxy needs of a response head on the hot path: its status and framing headers,
 * without building the header list (kept as text, parsed when somebody asks for details).
 */
export function scanResponseHead(text: string): { status: number; framing: FramingHeaders } {
  const lineEnd = firstLineEnd(text);
  const status = text.startsWith('HTTP/1.') && text.charCodeAt(8) === 32 ? Number(text.slice(9, 12)) : NaN;
  if (!(status >= 100 && status <= 999) || (lineEnd > 12 && text.charCodeAt(12) !== 32)) {
    throw new MalformedHttp(`malformed status line ${JSON.stringify(text.slice(0, Math.min(lineEnd, 80)))}`);
  }
  const framing: FramingHeaders = { contentLength: [] };
  let pos = lineEnd + 2;
  while (pos < text.length) {
    let end = text.indexOf('\r\n', pos);
    if (end === -1) end = text.length;
    const colon = text.indexOf(':', pos);
    if (colon <= pos || colon > end) throw new MalformedHttp('malformed header line in response');
    const which = framingName(text, pos, colon - pos);
    if (which === 'contentLength') framing.contentLength.push(text.slice(colon + 1, end).trim());
    else if (which !== null) framing[which] ??= text.slice(colon + 1, end).trim();
    pos = end + 2;
  }
  return { status, framing };
}

export function headerValue(headers: Headers, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of headers) if (k.length === lower.length && k.toLowerCase() === lower) return v;
  return undefined;
}

/** Body framing of a response to `method`; a 101 or an unframed response runs until close. */
export function responseFraming(head: { status: number; framing: FramingHeaders }, method: string): Framing {
  if (head.status === 101) return UNTIL_CLOSE;
  if (method === 'HEAD' || head.status === 204 || head.status === 304 || (head.status >= 100 && head.status < 200)) return NO_BODY;
  return messageFraming(head.framing) ?? UNTIL_CLOSE;
}

/** True for `Connection: upgrade` with an `Upgrade` header: the connection changes protocol after it. */
export function isUpgrade(head: { framing: FramingHeaders }): boolean {
  const f = head.framing;
  return f.upgrade !== undefined && /\bupgrade\b/i.test(f.connection ?? '');
}

const NO_BODY: Framing = { kind: 'none' };
const UNTIL_CLOSE: Framing = { kind: 'until-close' };

function messageFraming(f: FramingHeaders): Framing | null {
  const te = f.transferEncoding;
  if (te !== undefined) {
    if (/(^|,)\s*chunked\s*$/i.test(te)) return { kind: 'chunked' };
    throw new MalformedHttp(`unsupported Transfer-Encoding ${JSON.stringify(te)}`);
  }
  let length: number | null = null;
  for (const v of f.contentLength) {
    const n = decimal(v);
    if (n < 0) throw new MalformedHttp(`invalid Content-Length ${JSON.stringify(v.slice(0, 20))}`);
    if (length !== null && n !== length) throw new MalformedHttp('conflicting Content-Length headers');
    length = n;
  }
  if (length === null) return null;
  return length === 0 ? NO_BODY : { kind: 'length', length };
}

/** The value of 1 to 15 decimal digits, or -1 for anything else (a Content-Length as the proxy accepts it). */
function decimal(v: string): number {
  if (v.length === 0 || v.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < v.length; i++) {
    const d = v.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

export interface MessageSink {
  /** A complete head: its text (without the CRLFCRLF that ends it) and its size in bytes as read. Returns how its body is framed. */
  onHead(text: string, size: number): Framing;
  /** Body bytes (or the stream after an until-close head): `buf` from `start` to `end`, neither copied nor sliced. */
  onBody(buf: Buffer, start: number, end: number): void;
  /** The message (head and body) is complete. Return false to pause the reader here. */
  onEnd(): boolean;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');

type ChunkState = 'size' | 'size-ext' | 'size-lf' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'trailer-lf';

/**
 * Splits one direction of an HTTP/1.x connection into messages. Feed it what the socket
 * reads; it calls the sink for heads, body slices and message ends. Throws MalformedHttp.
 */
export class MessageReader {
  private state: 'head' | 'length' | 'chunked' | 'until-close' = 'head';
  private partialHead: Buffer | null = null;
  private remaining = 0;
  private chunk: ChunkState = 'size';
  private chunkSize = 0;
  private sizeDigits = 0;
  private trailerLineEmpty = true;
  private paused: Buffer | null = null;
  private isPaused = false;

  constructor(private readonly sink: MessageSink) {}

  /** True while inside a message (head partly read or body not finished). */
  get midMessage(): boolean {
    return this.state !== 'head' || this.partialHead !== null;
  }

  /** Bytes fed while paused are kept (slices of the reads, not copies) until resume. */
  get keepsBytes(): boolean {
    return this.paused !== null;
  }

  feed(buf: Buffer): void {
    if (this.isPaused) {
      this.paused = this.paused ? Buffer.concat([this.paused, buf]) : buf;
      return;
    }
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case 'head':
          pos = this.readHead(buf, pos);
          break;
        case 'length': {
          const n = Math.min(this.remaining, buf.length - pos);
          this.sink.onBody(buf, pos, pos + n);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.endMessage();
          break;
        }
        case 'chunked':
          pos = this.readChunked(buf, pos);
          break;
        case 'until-close':
          this.sink.onBody(buf, pos, buf.length);
          pos = buf.length;
          break;
      }
      if (this.isPaused) {
        if (pos < buf.length) this.paused = buf.subarray(pos);
        return;
      }
    }
  }

  /** While paused: hands over (and forgets) what arrived after the message end. */
  takeRest(): Buffer | null {
    const rest = this.paused;
    this.paused = null;
    return rest;
  }

  /** Continues after onEnd returned false, replaying what arrived meanwhile. */
  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    const rest = this.paused;
    this.paused = null;
    if (rest) this.feed(rest);
  }

  private endMessage(): void {
    this.state = 'head';
    if (!this.sink.onEnd()) this.isPaused = true;
  }

  private readHead(buf: Buffer, pos: number): number {
    if (this.partialHead === null) {
      const end = buf.indexOf(CRLFCRLF, pos);
      if (end !== -1) return this.completeHead(buf, pos, end + 4, end + 4);
      this.partialHead = Buffer.from(buf.subarray(pos));
    } else {
      // A head split across reads (rare): join, and look for the terminator across the seam.
      const before = this.partialHead.length;
      const joined = Buffer.concat([this.partialHead, buf.subarray(pos)]);
      const end = joined.indexOf(CRLFCRLF, Math.max(0, before - 3));
      if (end !== -1) {
        this.partialHead = null;
        return this.completeHead(joined, 0, end + 4, pos + end + 4 - before);
      }
      this.partialHead = joined;
    }
    if (this.partialHead.length > MAX_HEAD_BYTES) throw new MalformedHttp('head too large');
    return buf.length;
  }

  /** The head is `buf` from `from` to `to` (its CRLFCRLF included); `next` is where reading goes on. */
  private completeHead(buf: Buffer, from: number, to: number, next: number): number {
    if (to - from > MAX_HEAD_BYTES) throw new MalformedHttp('head too large');
    // Tolerate stray CRLFs between messages (RFC 9112 §2.2).
    let start = from;
    while (buf[start] === 13 && buf[start + 1] === 10 && start + 4 < to) start += 2;
    const text = buf.toString('latin1', start, to - 4);
    const framing = this.sink.onHead(text, to - from);
    switch (framing.kind) {
      case 'none':
        this.endMessage();
        break;
      case 'length':
        this.state = 'length';
        this.remaining = framing.length;
        break;
      case 'chunked':
        this.state = 'chunked';
        this.chunk = 'size';
        this.chunkSize = 0;
        this.sizeDigits = 0;
        break;
      case 'until-close':
        this.state = 'until-close';
        break;
    }
    return next;
  }

  private readChunked(buf: Buffer, pos: number): number {
    const start = pos;
    while (pos < buf.length) {
      if (this.chunk === 'data') {
        const n = Math.min(this.chunkSize, buf.length - pos);
        pos += n;
        this.chunkSize -= n;
        if (this.chunkSize === 0) this.chunk = 'data-cr';
        continue;
      }
      const c = buf[pos++]!;
      switch (this.chunk) {
        case 'size': {
          const d = hexValue(c);
          if (d >= 0) {
            if (++this.sizeDigits > 12) throw new MalformedHttp('chunk size too large');
            this.chunkSize = this.chunkSize * 16 + d;
          } else if (c === 13 && this.sizeDigits > 0) this.chunk = 'size-lf';
          else if ((c === 59 || c === 32 || c === 9) && this.sizeDigits > 0) this.chunk = 'size-ext';
          else throw new MalformedHttp('malformed chunk size');
          break;
        }
        case 'size-ext':
          if (c === 13) this.chunk = 'size-lf';
          break;
        case 'size-lf':
          if (c !== 10) throw new MalformedHttp('malformed chunk size line');
          this.sizeDigits = 0;
          if (this.chunkSize === 0) {
            this.chunk = 'trailer';
            this.trailerLineEmpty = true;
          } else this.chunk = 'data';
          break;
        case 'data-cr':
          if (c !== 13) throw new MalformedHttp('missing CRLF after chunk data');
          this.chunk = 'data-lf';
          break;
        case 'data-lf':
          if (c !== 10) throw new MalformedHttp('missing CRLF after chunk data');
          this.chunk = 'size';
          break;
        case 'trailer':
          if (c === 13) this.chunk = 'trailer-lf';
          else this.trailerLineEmpty = false;
          break;
        case 'trailer-lf':
          if (c !== 10) throw new MalformedHttp('malformed chunked trailer');
          if (this.trailerLineEmpty) {
            this.sink.onBody(buf, start, pos);
            this.endMessage();
            return pos;
          }
          this.chunk = 'trailer';
          this.trailerLineEmpty = true;
          break;
      }
    }
    this.sink.onBody(buf, start, buf.length);
    return pos;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
