import { describe, expect, it } from 'vitest';
import { MalformedHttp, MessageReader, parseResponseHead, responseFraming, scanResponseHead } from '../../main/engine/proxy/http-stream';
import { RequestRejected, parseRequestHead } from '../../main/engine/proxy/request-head';
import { MalformedBody, RequestReader, dechunk } from '../../main/engine/proxy/request-reader';

function requests() {
  const events: string[] = [];
  const body: Buffer[] = [];
  const reader = new RequestReader({
    onHead: (head) => void events.push(`head:${head.method} ${head.target}`),
    onBody: (slice) => void body.push(Buffer.from(slice)),
    onEnd: () => {
      events.push(`end:${Buffer.concat(body.splice(0)).toString('latin1')}`);
      return true;
    },
  });
  return { reader, events };
}

function responses(method = 'GET') {
  const events: string[] = [];
  const body: Buffer[] = [];
  const reader = new MessageReader({
    onHead: (text) => {
      events.push(`head:${text.split('\r\n')[0]}`);
      return responseFraming(scanResponseHead(text), method);
    },
    onBody: (buf, start, end) => void body.push(Buffer.from(buf.subarray(start, end))),
    onEnd: () => {
      events.push(`end:${Buffer.concat(body.splice(0)).toString()}`);
      return true;
    },
  });
  return { reader, events };
}

describe('RequestReader', () => {
  it('splits keep-alive requests with Content-Length bodies arriving in one read', () => {
    const { reader, events } = requests();
    reader.feed(Buffer.from('POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(events).toEqual(['head:POST /a', 'end:hello', 'head:GET /b', 'end:']);
  });

  it('finds a head split at every possible pair of byte boundaries, with LF or CRLF line ends', () => {
    for (const msg of ['POST /v1.41/build HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', 'POST /v1.41/build HTTP/1.1\nHost: x\nContent-Length: 3\n\nabc']) {
      for (let cut = 1; cut < msg.length; cut++) {
        for (let cut2 = cut; cut2 < msg.length; cut2++) {
          const { reader, events } = requests();
          reader.feed(Buffer.from(msg.slice(0, cut)));
          reader.feed(Buffer.from(msg.slice(cut, cut2)));
          reader.feed(Buffer.from(msg.slice(cut2)));
          expect(events).toEqual(['head:POST /v1.41/build', 'end:abc']);
        }
      }
    }
  });

  it('follows chunked bodies with extensions, bare-LF size lines and trailers, byte by byte', () => {
    const msg = 'POST /load HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n';
    const { reader, events } = requests();
    for (const byte of Buffer.from(msg)) reader.feed(Buffer.from([byte]));
    expect(events).toEqual([
      'head:POST /load', 'end:5;ext=1\r\nhello\r\nA\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n', 'head:GET /next', 'end:',
    ]);
    expect(dechunk(Buffer.from('5;ext=1\r\nhello\r\nA\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n')).toString()).toBe('hello0123456789');
  });

  it('ends a trailer at its first empty line, as Go does once it has seen CRLFCRLF ahead', () => {
    const { reader, events } = requests();
    reader.feed(Buffer.from('POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\n'));
    expect(events).toEqual(['head:POST /a']);
    reader.feed(Buffer.from('GET /after HTTP/1.1\r\nHost: x\r\n\r\n'));
    // Handed on with CRLF ends, so the engine finds the trailer's end without looking ahead.
    expect(events).toEqual(['head:POST /a', 'end:0\r\nX: y\r\n\r\n', 'head:GET /after', 'end:']);
  });

  it('pauses at a request end and reads what arrived meanwhile on resume', () => {
    const events: string[] = [];
    let pause = true;
    const reader = new RequestReader({
      onHead: (head) => void events.push(head.target),
      onBody: () => undefined,
      onEnd: () => !pause,
    });
    reader.feed(Buffer.from('GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(events).toEqual(['/a']);
    reader.feed(Buffer.from('GET /c HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(reader.heldBytes).toBeGreaterThan(0);
    pause = false;
    reader.resume();
    expect(events).toEqual(['/a', '/b', '/c']);
  });

  it('refuses malformed chunk framing after handing on the bytes before the fault', () => {
    const { reader, events } = requests();
    expect(() => reader.feed(Buffer.from('POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX'))).toThrow(MalformedBody);
    expect(events).toEqual(['head:POST /x']);
  });

  it('refuses a head over 1 MiB + 4 KiB with 431, and a head cut short by the client with 400', () => {
    const { reader } = requests();
    const status = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        return (err as RequestRejected).status;
      }
      return null;
    };
    expect(status(() => reader.feed(Buffer.from(`GET /a HTTP/1.1\r\nX: ${'a'.repeat(1 << 20)}${'b'.repeat(5000)}`)))).toBe(431);
    const cut = requests();
    cut.reader.feed(Buffer.from('GET /a HTTP/1.1\r\nHo'));
    expect(status(() => cut.reader.endOfInput())).toBe(400);
  });
});

describe('parseRequestHead', () => {
  const status = (text: string) => {
    try {
      parseRequestHead(text);
      return 200;
    } catch (err) {
      return (err as RequestRejected).status;
    }
  };

  it('refuses what Go refuses, with Go\'s status', () => {
    expect(status('GET')).toBe(400);
    expect(status('GET /x HTTP/2.0\r\nHost: x')).toBe(505);
    expect(status('GET x HTTP/1.1\r\nHost: x')).toBe(400);
    expect(status('GET /x HTTP/1.1\r\nHost: x\r\nno colon')).toBe(400);
    expect(status('GET /x HTTP/1.1')).toBe(400);
    expect(status('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1')).toBe(400);
    expect(status('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2')).toBe(400);
    expect(status('POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip')).toBe(501);
    expect(status('POST /x HTTP/1.1\r\nHost: x\r\nExpect: magic')).toBe(417);
    expect(status('GET /x HTTP/1.0')).toBe(200);
  });

  it('reads folded lines, absolute-form targets and the close and continue semantics', () => {
    const head = parseRequestHead('POST http://docker/v1.41/images/create?fromImage=x HTTP/1.1\nHost: x\nX-F: a\n  b\nExpect: 100-continue\nContent-Length: 2\nConnection: close\n');
    expect(head.originTarget).toBe('/v1.41/images/create?fromImage=x');
    expect(head.headers).toContainEqual(['X-F', 'a b']);
    expect(head.body).toEqual({ kind: 'length', length: 2 });
    expect(head.close).toBe(true);
    expect(head.expectContinue).toBe(true);
    expect(parseRequestHead('GET /a HTTP/1.0\r\n').close).toBe(true);
    expect(parseRequestHead('GET /a HTTP/1.0\r\nConnection: keep-alive\r\n').close).toBe(false);
  });
});

describe('MessageReader (responses)', () => {
  it('frames responses: HEAD and 204 have no body, 101 and unframed responses run until close', () => {
    const head = (s: string) => parseResponseHead(s);
    expect(responseFraming(head('HTTP/1.1 200 OK\r\nContent-Length: 2'), 'HEAD')).toEqual({ kind: 'none' });
    expect(responseFraming(head('HTTP/1.1 204 No Content'), 'POST')).toEqual({ kind: 'none' });
    expect(responseFraming(head('HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp'), 'POST')).toEqual({ kind: 'until-close' });
    expect(responseFraming(head('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream'), 'POST')).toEqual({ kind: 'until-close' });
    expect(responseFraming(head('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked'), 'GET')).toEqual({ kind: 'chunked' });
  });

  it('splits a 100 Continue, a chunked and a sized response arriving in one read', () => {
    const { reader, events } = responses();
    reader.feed(Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK'));
    expect(events).toEqual(['head:HTTP/1.1 100 Continue', 'end:', 'head:HTTP/1.1 200 OK', 'end:2\r\nok\r\n0\r\n\r\n', 'head:HTTP/1.1 200 OK', 'end:OK']);
  });

  it('refuses a malformed status line', () => {
    const { reader } = responses();
    expect(() => reader.feed(Buffer.from('HTTP/1.1 2xx OK\r\n\r\n'))).toThrow(MalformedHttp);
  });
});
