// Differential proof that the proxy frames requests as the engine's HTTP stack does: the
// same bytes go to Go's net/http server directly and through the proxy, and what Go records
// (method, target, protocol, headers, body, trailers) and the statuses the client gets back
// must be identical. Where Go refuses, the proxy refuses with the same status and closes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Interceptor } from '../../main/engine/proxy/proxy';
import type { LogDetail } from '#shared/log';
import { asForwardedWhole, comparableRecord, exchangeBytes, responseStatuses, startProxyBeforeGo, type GoRecord, type ProxiedGo } from '../harness/go-recorder';

const H = 'Host: docker\r\n';
const MAX_HEAD = (1 << 20) + 4096;

/** Byte sequences a hostile or merely unusual client might send. */
const CASES: [name: string, bytes: string][] = [
  ['a plain GET', `GET /v1.41/_ping HTTP/1.1\r\n${H}\r\n`],
  ['bare LF line endings', `GET /a HTTP/1.1\nHost: docker\nX-A: 1\n\n`],
  ['a bare LF that hides a Content-Length', `POST /a HTTP/1.1\r\n${H}X: a\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\n${H}\r\n`],
  ['a bare CR inside a header value', `GET /a HTTP/1.1\r\n${H}X: a\rb\r\n\r\n`],
  ['obs-fold continuation lines', `GET /a HTTP/1.1\r\n${H}X-Folded: a\r\n  b\r\n\tc \r\nX-Next: 1\r\n\r\n`],
  ['a folded Content-Length', `POST /a HTTP/1.1\r\n${H}Content-Length:\r\n 5\r\n\r\nhello`],
  ['a folded first header line', `GET /a HTTP/1.1\r\n Host: docker\r\n\r\n`],
  ['a header line without colon', `GET /a HTTP/1.1\r\n${H}NoColon\r\n\r\n`],
  ['an empty header name', `GET /a HTTP/1.1\r\n${H}: empty\r\n\r\n`],
  ['a header name with a space', `GET /a HTTP/1.1\r\n${H}Bad Name: x\r\n\r\n`],
  ['a space before the colon', `POST /a HTTP/1.1\r\n${H}Content-Length : 5\r\n\r\nhello`],
  ['a control byte in a value', `GET /a HTTP/1.1\r\n${H}X: \x01\r\n\r\n`],
  ['duplicate equal Content-Length', `POST /a HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n${H}\r\n`],
  ['conflicting Content-Length', `POST /a HTTP/1.1\r\n${H}Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd`],
  ['a Content-Length list', `POST /a HTTP/1.1\r\n${H}Content-Length: 3, 3\r\n\r\nabc`],
  ['a Content-Length with leading zeros', `POST /a HTTP/1.1\r\n${H}Content-Length: 003\r\n\r\nabc`],
  ['a signed Content-Length', `POST /a HTTP/1.1\r\n${H}Content-Length: +3\r\n\r\nabc`],
  ['an empty Content-Length', `POST /a HTTP/1.1\r\n${H}Content-Length: \r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`],
  ['a huge Content-Length', `POST /a HTTP/1.1\r\n${H}Content-Length: 99999999999999999999\r\n\r\nabc`],
  ['Content-Length with chunked', `POST /a HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`],
  ['a coding other than chunked', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`],
  ['chunked twice', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n`],
  ['two Transfer-Encoding lines', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ['gzip then chunked', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`],
  ['CHUNKED in capitals', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n`],
  ['Transfer-Encoding on HTTP/1.0', `POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\nabcGET /b HTTP/1.0\r\n\r\n`],
  ['chunk extensions', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;ext=1;q="x"\r\nhello\r\n0;last\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`],
  ['white space after a chunk size', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5 \t\r\nhello\r\n0\r\n\r\n`],
  ['white space before a chunk extension', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5 ;x\r\nhello\r\n0\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`],
  ['bare LF chunk size lines', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\nhello\r\nA\n0123456789\r\n0\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`],
  ['an empty chunk size line', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`],
  ['a 17-digit chunk size', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n`],
  ['an invalid chunk size then a smuggled request', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`],
  ['chunk data without CRLF', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabcXX0\r\n\r\nGET /smuggled HTTP/1.1\r\n${H}\r\n`],
  ['trailers', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-More: 2\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`],
  ['a trailer ended by bare LFs', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nX: y\n\nGET /after HTTP/1.1\r\n${H}\r\n`],
  ['a trailer whose look-ahead reaches into an intercepted request', `POST /_ping HTTP/1.1\nHost: docker\nTransfer-Encoding: chunked\n\n0\nX-T: 1\n\r\nPOST /v1.41/images/create?fromImage=x HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`],
  ['a forbidden trailer key', `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n`],
  ['a long request line', `GET /${'a'.repeat(200_000)} HTTP/1.1\r\n${H}\r\n`],
  ['a head exactly at the limit', `GET /a HTTP/1.1\r\n${H}X-Pad: ${'p'.repeat(MAX_HEAD - 41)}\r\n\r\n`],
  ['a head one byte over the limit', `GET /a HTTP/1.1\r\n${H}X-Pad: ${'p'.repeat(MAX_HEAD - 40)}\r\n\r\n`],
  ['a head far over the limit', `GET /a HTTP/1.1\r\n${H}${'X-Pad: 0123456789\r\n'.repeat(70_000)}\r\n`],
  ['an absolute-form target', `GET http://docker/v1.41/_ping HTTP/1.1\r\n${H}\r\n`],
  ['an absolute-form target without path', `GET http://docker:2375?x=1 HTTP/1.1\r\n${H}\r\n`],
  ['an opaque target', `GET foo:bar HTTP/1.1\r\n${H}\r\n`],
  ['a relative target', `GET docker/x HTTP/1.1\r\n${H}\r\n`],
  ['an asterisk target', `OPTIONS * HTTP/1.1\r\n${H}\r\n`],
  ['a bad percent escape', `GET /a%zz HTTP/1.1\r\n${H}\r\n`],
  ['a bad IPv6 authority', `GET http://[::1/x HTTP/1.1\r\n${H}\r\n`],
  ['non-ASCII in the target', `GET /caf\xe9?q=\xff HTTP/1.1\r\n${H}\r\n`],
  ['an invalid method', `G(T /a HTTP/1.1\r\n${H}\r\n`],
  ['two spaces in the request line', `GET  /a HTTP/1.1\r\n${H}\r\n`],
  ['HTTP/1.2', `GET /a HTTP/1.2\r\n${H}\r\n`],
  ['HTTP/2.0', `GET /a HTTP/2.0\r\n${H}\r\n`],
  ['a lower-case protocol', `GET /a http/1.1\r\n${H}\r\n`],
  ['no Host on HTTP/1.1', `GET /a HTTP/1.1\r\n\r\n`],
  ['no Host on HTTP/1.0', `GET /a HTTP/1.0\r\n\r\n`],
  ['two Host headers', `GET /a HTTP/1.1\r\n${H}${H}\r\n`],
  ['a Host with a bad byte', `GET /a HTTP/1.1\r\nHost: doc{ker\r\n\r\n`],
  ['Expect: 100-continue on a passed-through body', `POST /a HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello`],
  ['Expect: 100-continue without a body', `POST /a HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 0\r\n\r\n`],
  ['Expect: 100-continue on HTTP/1.0', `POST /a HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello`],
  ['another expectation', `POST /a HTTP/1.1\r\n${H}Expect: magic\r\nContent-Length: 5\r\n\r\nhello`],
  ['HTTP/1.0 requests pipelined', `GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n`],
  ['HTTP/1.0 with keep-alive', `GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n`],
  ['Connection: close then more requests', `GET /a HTTP/1.1\r\n${H}Connection: close\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`],
  ['CRLFs after a POST', `POST /a HTTP/1.1\r\n${H}Content-Length: 1\r\n\r\nx\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`],
  ['too many CRLFs after a POST', `POST /a HTTP/1.1\r\n${H}Content-Length: 1\r\n\r\nx\r\n\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`],
  ['a CRLF after a GET', `GET /a HTTP/1.1\r\n${H}\r\n\r\nGET /b HTTP/1.1\r\n${H}\r\n`],
  ['garbage after a good request', `GET /a HTTP/1.1\r\n${H}\r\nTHIS IS NOT HTTP\r\n\r\n`],
  ['a head cut short by the client', `GET /a HTTP/1.1\r\n${H}\r\nGET /b HTTP/1.1\r\nHo`],
  ['a body cut short by the client', `POST /a HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nabc`],
  ['HEAD', `HEAD /a HTTP/1.1\r\n${H}\r\n`],
  ['pipelining across intercepted routes',
    `GET /a HTTP/1.1\r\n${H}\r\n` +
    `POST /v1.41/images/create?fromImage=x HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\n{}` +
    `GET /b HTTP/1.1\r\n${H}\r\n` +
    `POST /v1.41/images/create?fromImage=y HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n` +
    `POST /v1.41/images/create?fromImage=z HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}` +
    `GET /c HTTP/1.1\r\n${H}\r\n`],
  ['an intercepted route in absolute form', `POST http://docker/v1.41/images/create?fromImage=x HTTP/1.1\r\n${H}Content-Length: 2\r\n\r\n{}GET /b HTTP/1.1\r\n${H}\r\n`],
  ['an intercepted route with a malformed request behind it', `POST /v1.41/images/create?fromImage=x HTTP/1.1\r\n${H}\r\nTHIS IS NOT HTTP\r\n\r\n`],
];

const isIntercepted = (r: GoRecord) => r.method === 'POST' && r.path.endsWith('/images/create');
const comparable = (r: GoRecord) => comparableRecord(isIntercepted(r) ? asForwardedWhole(r) : r);

/** Forwards the request it read whole, unchanged: Go must then see the same request. */
const passOn: Interceptor = {
  wants: (route) => route.route === 'pull',
  handle: async (req) => ({ kind: 'forward', head: req.head, body: req.body }),
};

let rig: ProxiedGo;
beforeAll(async () => {
  rig = await startProxyBeforeGo([passOn]);
}, 120_000);
afterAll(() => rig?.stop());

async function run(socket: string, pieces: Buffer[]): Promise<{ records: GoRecord[]; statuses: number[] }> {
  await rig.go.reset();
  const answer = await exchangeBytes(socket, pieces);
  return { records: await rig.go.records(), statuses: responseStatuses(answer) };
}

describe('the proxy frames requests exactly as Go net/http (the engine) does', () => {
  it.each(CASES)('%s', async (_name, text) => {
    const bytes = Buffer.from(text, 'latin1');
    const direct = await run(rig.go.socket, [bytes]);
    const seq = rig.logs.lastSeq;
    const proxied = await run(rig.proxySocket, [bytes]);
    expect(proxied.statuses).toEqual(direct.statuses);
    expect(proxied.records.map(comparable)).toEqual(direct.records.map(comparable));
    // The log shows the requests the engine saw, no more, no fewer (Go answers OPTIONS * itself).
    const answeredByEngine = (e: LogDetail) => e.status !== null && (e.error === undefined || e.error.startsWith('malformed request body'));
    const entries = (rig.logs.snapshot() as LogDetail[]).filter((e) => e.seq > seq && answeredByEngine(e) && e.path !== '*');
    expect(entries.map((e) => e.method)).toEqual(direct.records.map((r) => r.method));
    // Split at every third byte boundary too: the framing must not depend on how reads fall.
    if (bytes.length < 2000) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 3) pieces.push(bytes.subarray(i, i + 3));
      const split = await run(rig.proxySocket, pieces);
      expect(split.statuses).toEqual(direct.statuses);
      expect(split.records.map(comparable)).toEqual(direct.records.map(comparable));
    }
    expect(rig.problems).toEqual([]);
  });
});
