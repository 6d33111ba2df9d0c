import { describe, expect, it } from 'vitest';
import { MalformedHttp, MessageReader, parseRequestHead, requestFraming, responseFraming, parseResponseHead, type Framing } from '../../main/engine/proxy/http-stream';

function collect(framingFor: (text: string) => Framing) {
  const events: string[] = [];
  const body: Buffer[] = [];
  const reader = new MessageReader({
    onHead: (raw, text) => {
      events.push(`head:${text.split('\r\n')[0]}`);
      return framingFor(text);
    },
    onBody: (slice) => body.push(Buffer.from(slice)),
    onEnd: () => {
      events.push(`end:${Buffer.concat(body.splice(0)).toString()}`);
      return true;
    },
  });
  return { reader, events };
}

const byHeaders = (text: string) => requestFraming(parseRequestHead(text));

describe('MessageReader', () => {
  it('splits keep-alive requests with Content-Length bodies arriving in one read', () => {
    const { reader, events } = collect(byHeaders);
    reader.feed(Buffer.from('POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(events).toEqual(['head:POST /a HTTP/1.1', 'end:hello', 'head:GET /b HTTP/1.1', 'end:']);
  });

  it('finds a head split at every possible byte boundary', () => {
    const msg = 'POST /v1.41/build HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc';
    for (let cut = 1; cut < msg.length; cut++) {
      for (let cut2 = cut; cut2 < msg.length; cut2++) {
        const { reader, events } = collect(byHeaders);
        reader.feed(Buffer.from(msg.slice(0, cut)));
        reader.feed(Buffer.from(msg.slice(cut, cut2)));
        reader.feed(Buffer.from(msg.slice(cut2)));
        expect(events).toEqual(['head:POST /v1.41/build HTTP/1.1', 'end:abc']);
      }
    }
  });

  it('follows chunked bodies with extensions and trailers, byte by byte', () => {
    const msg = 'POST /load HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nGET /next HTTP/1.1\r\n\r\n';
    const { reader, events } = collect(byHeaders);
    for (const byte of Buffer.from(msg)) reader.feed(Buffer.from([byte]));
    expect(events[0]).toBe('head:POST /load HTTP/1.1');
    expect(events[1]).toBe('end:5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n');
    expect(events[2]).toBe('head:GET /next HTTP/1.1');
  });

  it('pauses at a message end and replays what arrived meanwhile on resume', () => {
    const events: string[] = [];
    let pause = true;
    const reader = new MessageReader({
      onHead: (_raw, text) => (events.push(text.split(' ')[1]!), { kind: 'none' }),
      onBody: () => undefined,
      onEnd: () => !pause,
    });
    reader.feed(Buffer.from('GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n'));
    expect(events).toEqual(['/a']);
    reader.feed(Buffer.from('GET /c HTTP/1.1\r\n\r\n'));
    pause = false;
    reader.resume();
    expect(events).toEqual(['/a', '/b', '/c']);
  });

  it('rejects malformed request lines, headers and chunk sizes', () => {
    expect(() => parseRequestHead('GET')).toThrow(MalformedHttp);
    expect(() => parseRequestHead('GET /x HTTP/2.0')).toThrow(MalformedHttp);
    expect(() => parseRequestHead('GET x HTTP/1.1')).toThrow(MalformedHttp);
    expect(() => parseRequestHead('GET /x HTTP/1.1\r\nno colon')).toThrow(MalformedHttp);
    expect(() => requestFraming(parseRequestHead('POST /x HTTP/1.1\r\nContent-Length: -1'))).toThrow(MalformedHttp);
    expect(() => requestFraming(parseRequestHead('POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2'))).toThrow(MalformedHttp);
    const { reader } = collect(byHeaders);
    expect(() => reader.feed(Buffer.from('POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'))).toThrow(MalformedHttp);
  });

  it('frames responses: HEAD and 204 have no body, 101 and unframed responses run until close', () => {
    const head = (s: string) => parseResponseHead(s);
    expect(responseFraming(head('HTTP/1.1 200 OK\r\nContent-Length: 2'), 'HEAD')).toEqual({ kind: 'none' });
    expect(responseFraming(head('HTTP/1.1 204 No Content'), 'POST')).toEqual({ kind: 'none' });
    expect(responseFraming(head('HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp'), 'POST')).toEqual({ kind: 'until-close' });
    expect(responseFraming(head('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream'), 'POST')).toEqual({ kind: 'until-close' });
    expect(responseFraming(head('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked'), 'GET')).toEqual({ kind: 'chunked' });
  });
});
