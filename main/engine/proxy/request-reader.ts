// Splits what a client sends into requests exactly where Go's net/http server splits it: heads
// end at an empty line (LF or CRLF), bodies by Content-Length or Go's chunked reader, trailers
// with Go's look-ahead, stray CR/LF after a POST as Go tolerates them. Heads are capped (431).
// Hands body bytes on as slices of what was read; copies only a split head or a trailer.
import { RequestRejected, parseRequestHead, type RequestHead } from './request-head';

/** Go's limit: MaxHeaderBytes (1 MiB) plus the 4 KiB it allows for bufio's read-ahead. */
export const MAX_HEAD_BYTES = (1 << 20) + 4096;
/** Go's chunked reader reads size lines into a 4 KiB buffer; a longer line is refused. */
const MAX_CHUNK_LINE = 4096;
/** Go looks for the end of a trailer within one bufio buffer. */
const MAX_TRAILER_LOOKAHEAD = 4096;

/** A body Go's reader fails on: the bytes before the fault were handed on as body. */
export class MalformedBody extends Error {}

export interface RequestSink {
  /** A complete, valid head; `raw` is its bytes as read, the empty line included. */
  onHead(head: RequestHead, raw: Buffer): void;
  /** A slice of the body, framing (chunk sizes, trailers) included. */
  onBody(slice: Buffer): void;
  /** The request (head and body) is complete. Return false to pause the reader here. */
  onEnd(): boolean;
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-cr' | 'chunk-lf' | 'trailer' | 'dead';

const CRLFCRLF = Buffer.from('\r\n\r\n');

export class RequestReader {
  private state: State = 'head';
  private partialHead: Buffer | null = null;
  /** Where the current line of a partial head starts, and how far it was searched. */
  private lineStart = 0;
  /** CR/LF bytes still to be skipped before a head (Go skips up to 4 after a POST). */
  private skip = 0;
  private remaining = 0;
  private chunkLine = '';
  private trailer: Buffer | null = null;
  private held: Buffer | null = null;
  private paused = false;
  /** Set when a feed handed on bytes that were held from earlier reads (a trailer's look-ahead). */
  replayed = false;

  constructor(private readonly sink: RequestSink) {}

  /** True between a head's first byte and its request's end. */
  get midRequest(): boolean {
    return this.state !== 'head' || this.partialHead !== null || this.trailer !== null;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Bytes that arrived while paused (they are read on resume). */
  get heldBytes(): number {
    return this.held?.length ?? 0;
  }

  feed(input: Buffer): void {
    if (this.state === 'dead') return;
    if (this.paused) {
      this.held = this.held ? Buffer.concat([this.held, input]) : input;
      return;
    }
    this.replayed = false;
    let buf = input;
    let pos = 0;
    try {
      while (pos < buf.length) {
        switch (this.state) {
          case 'head':
            pos = this.readHead(buf, pos);
            break;
          case 'length': {
            const n = Math.min(this.remaining, buf.length - pos);
            this.sink.onBody(n === buf.length ? buf : buf.subarray(pos, pos + n));
            pos += n;
            this.remaining -= n;
            if (this.remaining === 0) this.endRequest();
            break;
          }
          case 'trailer': {
            const rest = this.readTrailer(buf.subarray(pos));
            if (rest === null) return;
            buf = rest;
            pos = 0;
            this.replayed = true;
            break;
          }
          default:
            pos = this.readChunked(buf, pos);
        }
        if (this.paused) {
          if (pos < buf.length) this.held = buf.subarray(pos);
          return;
        }
      }
    } catch (err) {
      this.state = 'dead';
      throw err;
    }
  }

  /**
   * The client ended its side. Go reads a head cut short as far as it goes and refuses it
   * (400); a body cut short is the engine's to judge, as it sees the same end.
   */
  endOfInput(): void {
    if (this.state === 'head' && this.partialHead !== null) {
      this.state = 'dead';
      throw new RequestRejected(400, 'the client ended the connection in the middle of a request head');
    }
  }

  /** While paused: hands over (and forgets) what arrived after the request's end. */
  takeHeld(): Buffer | null {
    const held = this.held;
    this.held = null;
    return held;
  }

  /** Continues after onEnd returned false, reading what arrived meanwhile. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const held = this.takeHeld();
    if (held) this.feed(held);
  }

  private endRequest(): void {
    this.state = 'head';
    if (!this.sink.onEnd()) this.paused = true;
  }

  private readHead(buf: Buffer, pos: number): number {
    if (this.partialHead === null) {
      while (this.skip > 0 && pos < buf.length && (buf[pos] === 13 || buf[pos] === 10)) {
        pos++;
        this.skip--;
      }
      if (pos === buf.length) return pos;
      this.skip = 0;
      const end = this.findHeadEnd(buf, pos, pos);
      // Usually one read holds one whole head: then the read itself is the head's bytes.
      if (end !== -1) return this.completeHead(pos === 0 && end === buf.length ? buf : buf.subarray(pos, end), end);
      this.partialHead = Buffer.from(buf.subarray(pos));
      this.checkHeadSize(this.partialHead.length);
      return buf.length;
    }
    // A head split across reads: join, and go on searching where the last search stopped.
    const before = this.partialHead.length;
    const joined = Buffer.concat([this.partialHead, buf.subarray(pos)]);
    const end = this.findHeadEnd(joined, this.lineStart, 0);
    if (end === -1) {
      this.partialHead = joined;
      this.checkHeadSize(joined.length);
      return buf.length;
    }
    this.partialHead = null;
    return this.completeHead(joined.subarray(0, end), pos + end - before);
  }

  /**
   * The offset just after the empty line that ends a head starting at `headStart`, or -1.
   * Lines end at LF; an empty line is LF or CRLF alone. Remembers where a partial head's
   * current line starts, so a later read continues the search there.
   */
  private findHeadEnd(buf: Buffer, from: number, headStart: number): number {
    let lineStart = from;
    for (let nl = buf.indexOf(10, from); nl !== -1; nl = buf.indexOf(10, nl + 1)) {
      const length = nl - lineStart;
      if (length === 0 || (length === 1 && buf[lineStart] === 13)) {
        this.checkHeadSize(nl + 1 - headStart);
        return nl + 1;
      }
      lineStart = nl + 1;
    }
    this.lineStart = lineStart - headStart;
    return -1;
  }

  private checkHeadSize(size: number): void {
    if (size > MAX_HEAD_BYTES) throw new RequestRejected(431, 'request head too large');
  }

  private completeHead(raw: Buffer, next: number): number {
    this.lineStart = 0;
    // The text of the head's lines, without the empty line that ends it (LF or CRLF).
    let textEnd = raw.length - 1;
    if (textEnd > 0 && raw[textEnd - 1] === 13 && (textEnd === 1 || raw[textEnd - 2] === 10)) textEnd--;
    const head = parseRequestHead(raw.toString('latin1', 0, textEnd));
    this.skip = head.method === 'POST' ? 4 : 0;
    this.sink.onHead(head, raw);
    switch (head.body.kind) {
      case 'none':
        this.endRequest();
        break;
      case 'length':
        this.state = 'length';
        this.remaining = head.body.length;
        break;
      case 'chunked':
        this.state = 'chunk-size';
        this.chunkLine = '';
        break;
    }
    return next;
  }

  /** Go's chunkedReader: size lines end at LF, data ends with exactly CRLF. */
  private readChunked(buf: Buffer, pos: number): number {
    const start = pos;
    const fail = (at: number, message: string): never => {
      if (at > start) this.sink.onBody(buf.subarray(start, at));
      throw new MalformedBody(message);
    };
    while (pos < buf.length) {
      switch (this.state) {
        case 'chunk-data': {
          const n = Math.min(this.remaining, buf.length - pos);
          pos += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = 'chunk-cr';
          break;
        }
        case 'chunk-cr':
          if (buf[pos] !== 13) fail(pos, 'malformed chunked encoding');
          pos++;
          this.state = 'chunk-lf';
          break;
        case 'chunk-lf':
          if (buf[pos] !== 10) fail(pos, 'malformed chunked encoding');
          pos++;
          this.state = 'chunk-size';
          this.chunkLine = '';
          break;
        case 'chunk-size': {
          const nl = buf.indexOf(10, pos);
          const end = nl === -1 ? buf.length : nl;
          this.chunkLine += buf.toString('latin1', pos, end);
          if (this.chunkLine.length + 1 >= MAX_CHUNK_LINE) fail(pos, 'chunk size line too long');
          if (nl === -1) {
            pos = buf.length;
            break;
          }
          pos = nl + 1;
          const size = chunkSize(this.chunkLine);
          if (size === null) fail(pos, 'malformed chunk size');
          if (size === 0) {
            this.sink.onBody(start === 0 && pos === buf.length ? buf : buf.subarray(start, pos));
            this.state = 'trailer';
            this.trailer = null;
            return pos;
          }
          this.remaining = size!;
          this.state = 'chunk-data';
          break;
        }
        default:
          throw new Error(`readChunked in state ${this.state}`);
      }
    }
    this.sink.onBody(start === 0 ? buf : buf.subarray(start));
    return pos;
  }

  /**
   * After the last chunk: CRLF ends the body at once; otherwise Go wants to see CRLFCRLF within
   * 4 KiB before it reads trailer lines (LF or CRLF) up to the first empty line. Holds the bytes
   * until that is decided; returns what follows the body, or null while undecided.
   */
  private readTrailer(input: Buffer): Buffer | null {
    const acc = (this.trailer = this.trailer ? Buffer.concat([this.trailer, input]) : Buffer.from(input));
    if (acc.length < 2) return null;
    let end: number;
    if (acc[0] === 13 && acc[1] === 10) end = 2;
    else {
      const crlfcrlf = acc.indexOf(CRLFCRLF);
      if (crlfcrlf === -1 || crlfcrlf + 4 > MAX_TRAILER_LOOKAHEAD) {
        if (acc.length >= MAX_TRAILER_LOOKAHEAD) throw new MalformedBody('suspiciously long trailer after chunked body');
        return null;
      }
      end = trailerEnd(acc);
    }
    this.trailer = null;
    let trailer: Buffer = acc.subarray(0, end);
    // Go found this trailer's end by looking ahead into what follows it. The engine must not
    // need to: what follows may be a request the proxy answers itself. With CRLF line ends
    // the same fields end within the trailer.
    if (end > 2 && trailer.indexOf(CRLFCRLF) === -1) trailer = withCrlfLineEnds(trailer);
    else if (end === 1) trailer = Buffer.from('\r\n');
    this.sink.onBody(trailer);
    this.endRequest();
    return acc.subarray(end);
  }
}

/** The content of a chunked body the reader already found well-formed (framing and trailer dropped). */
export function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const nl = raw.indexOf(10, pos);
    if (nl === -1) break;
    const size = chunkSize(raw.toString('latin1', pos, nl)) ?? 0;
    if (size === 0) break;
    parts.push(raw.subarray(nl + 1, nl + 1 + size));
    pos = nl + 1 + size + 2;
  }
  return Buffer.concat(parts);
}

function withCrlfLineEnds(lines: Buffer): Buffer {
  return Buffer.from(lines.toString('latin1').replace(/(?<!\r)\n/g, '\r\n'), 'latin1');
}

/** Go's readChunkLine and parseHexUint: trailing white space, then extension, then hex. */
function chunkSize(line: string): number | null {
  const trimmed = line.replace(/[ \t\r\n]+$/, '');
  const semi = trimmed.indexOf(';');
  const hex = semi === -1 ? trimmed : trimmed.slice(0, semi);
  if (hex.length > 16 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  return hex.length === 0 ? 0 : parseInt(hex, 16);
}

/** The end of a trailer block as textproto reads it (with a CRLFCRLF known to follow). */
function trailerEnd(acc: Buffer): number {
  if (acc[0] === 32 || acc[0] === 9) throw new MalformedBody('malformed MIME header initial line in trailer');
  let lineStart = 0;
  for (let nl = acc.indexOf(10); nl !== -1; nl = acc.indexOf(10, nl + 1)) {
    const length = nl - lineStart;
    if (length === 0 || (length === 1 && acc[lineStart] === 13)) return nl + 1;
    // A line that is not a continuation (obs-fold) starts a field and needs its colon.
    const continuation = acc[lineStart] === 32 || acc[lineStart] === 9;
    if (!continuation && acc.subarray(lineStart, nl).indexOf(58) === -1) throw new MalformedBody('malformed trailer line: missing colon');
    lineStart = nl + 1;
  }
  throw new MalformedBody('unterminated trailer');
}
