// Property-based fuzzing of the proxy (fast-check) against Go's net/http server (the engine's
// HTTP stack): random sequences of valid, intercepted and malformed requests, pipelined and
// split at random byte boundaries, some cut off by the client. Properties: the process never
// sees an unhandled rejection or exception, the client gets the same responses in the same
// order as from Go directly, Go records the same requests, and nothing leaks (connections,
// sockets, file descriptors, listeners). `npm run fuzz` runs it long (FUZZ_RUNS).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import type { Interceptor } from '../../main/engine/proxy/proxy';
import { classifyRoute } from '../../main/engine/proxy/routes';
import { asForwardedWhole, comparableRecord, exchangeBytes, responseStatuses, startProxyBeforeGo, type GoRecord, type ProxiedGo } from '../harness/go-recorder';
import { until } from '../harness/wait';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

// ---- what a client may send -------------------------------------------------------------

const eol = fc.constantFrom('\r\n', '\r\n', '\n');
const path = fc.constantFrom('/_ping', '/v1.41/version', '/a?b=c&d=%20', '/v1.41/images/json', '/x/y');
const bodyText = fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString('latin1'));
const header = fc.tuple(fc.constantFrom('X-A', 'x-b', 'User-Agent', 'Accept'), fc.constantFrom('1', 'v a l', '', 'é')).map(([k, v]) => `${k}: ${v}`);
const headers = fc.array(header, { maxLength: 3 });

function chunked(parts: string[], ext: boolean, trailer: boolean, e: string): string {
  let out = '';
  for (const p of parts) if (p.length) out += `${p.length.toString(16)}${ext ? ';x=1' : ''}${e}${p}\r\n`;
  return out + `0${e}${trailer ? `X-T: 1${e}` : ''}\r\n`;
}

const get = fc.record({ path, e: eol, headers }).map(({ path, e, headers }) =>
  `GET ${path} HTTP/1.1${e}Host: docker${e}${headers.map((h) => h + e).join('')}${e}`);

const post = fc.record({ path, e: eol, headers, body: bodyText }).map(({ path, e, headers, body }) =>
  `POST ${path} HTTP/1.1${e}Host: docker${e}${headers.map((h) => h + e).join('')}Content-Length: ${body.length}${e}${e}${body}`);

const postChunked = fc.record({ path, e: eol, parts: fc.array(bodyText, { maxLength: 3 }), ext: fc.boolean(), trailer: fc.boolean() })
  .map(({ path, e, parts, ext, trailer }) => `POST ${path} HTTP/1.1${e}Host: docker${e}Transfer-Encoding: chunked${e}${e}${chunked(parts, ext, trailer, e)}`);

/** Pulls are intercepted and forwarded; container creates are intercepted and answered by the proxy. */
const intercepted = fc.record({
  route: fc.constantFrom('/v1.41/images/create?fromImage=x', '/v1.41/containers/create?name=c'),
  e: eol, body: bodyText, useChunks: fc.boolean(), expect: fc.boolean(),
}).map(({ route, e, body, useChunks, expect }) =>
  `POST ${route} HTTP/1.1${e}Host: docker${e}${expect ? `Expect: 100-continue${e}` : ''}` +
  (useChunks ? `Transfer-Encoding: chunked${e}${e}${chunked([body], false, false, e)}` : `Content-Length: ${body.length}${e}${e}${body}`));

const valid = fc.oneof({ arbitrary: get, weight: 4 }, { arbitrary: post, weight: 2 }, { arbitrary: postChunked, weight: 2 }, { arbitrary: intercepted, weight: 3 });

/** A valid request with one byte-level fault: deleted, replaced, or a CR or LF inserted. */
const malformed = fc.oneof(
  fc.constantFrom('NOT HTTP\r\n\r\n', '\r\n', 'GET / HTTP/1.1\r\nHost: docker\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 'POST / HTTP/1.1\r\nHost: docker\r\nTransfer-Encoding: gzip\r\n\r\n'),
  fc.tuple(valid, fc.nat(), fc.constantFrom('delete', 'replace', 'cr', 'lf', 'space'), fc.integer({ min: 0, max: 255 })).map(([text, at, op, byte]) => {
    const i = at % text.length;
    switch (op) {
      case 'delete': return text.slice(0, i) + text.slice(i + 1);
      case 'replace': return text.slice(0, i) + String.fromCharCode(byte) + text.slice(i + 1);
      case 'cr': return text.slice(0, i) + '\r' + text.slice(i);
      case 'lf': return text.slice(0, i) + '\n' + text.slice(i);
      default: return text.slice(0, i) + ' ' + text.slice(i);
    }
  }),
);

const conversation = fc.record({
  requests: fc.array(fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: malformed, weight: 1 }), { minLength: 1, maxLength: 6 }),
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
});

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % bytes.length))].filter((c) => c > 0).sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const c of at) {
    pieces.push(bytes.subarray(from, c));
    from = c;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}

// ---- the rig ----------------------------------------------------------------------------

let answeredBodies: string[] = [];
const interceptors: Interceptor[] = [
  { wants: (route) => route.route === 'pull', handle: async (req) => ({ kind: 'forward', head: req.head, body: req.body }) },
  {
    wants: (route) => route.route === 'create container',
    async handle(req, ctx) {
      answeredBodies.push(req.body.toString('latin1'));
      await ctx.respond.json(200, { Id: 'fuzz' });
      return { kind: 'responded' };
    },
  },
];

// Which requests were intercepted is what the proxy's own route classifier says.
const forwardedWhole = (r: GoRecord) => classifyRoute(r.method, r.path).route === 'pull';
const created = (r: GoRecord) => classifyRoute(r.method, r.path).route === 'create container';
/** Container creates, and intercepted requests whose body is malformed (the proxy answers 400). */
const answeredByProxy = (r: GoRecord) => created(r) || (forwardedWhole(r) && r.bodyError);
const comparable = (r: GoRecord) => comparableRecord(forwardedWhole(r) ? asForwardedWhole(r) : r);
const fds = () => readdirSync('/proc/self/fd').length;

let rig: ProxiedGo;
beforeAll(async () => {
  rig = await startProxyBeforeGo(interceptors);
}, 120_000);
afterAll(() => rig?.stop());

describe('fuzzing the proxy against Go net/http', () => {
  it('answers every conversation as Go does, in order, and Go records the same requests', async () => {
    await fc.assert(
      fc.asyncProperty(conversation, async ({ requests, cuts }) => {
        const bytes = Buffer.from(requests.join(''), 'latin1');
        await rig.go.reset();
        const direct = responseStatuses(await exchangeBytes(rig.go.socket, [bytes]));
        const directRecords = await rig.go.records();
        await rig.go.reset();
        answeredBodies = [];
        const proxied = responseStatuses(await exchangeBytes(rig.proxySocket, split(bytes, cuts)));
        const proxiedRecords = await rig.go.records();
        expect(proxied).toEqual(direct);
        expect(proxiedRecords.map(comparable)).toEqual(directRecords.filter((r) => !answeredByProxy(r)).map(comparable));
        expect(answeredBodies).toEqual(directRecords.filter((r) => created(r) && !r.bodyError).map((r) => Buffer.from(r.body ?? '', 'base64').toString('latin1')));
        expect(rig.problems).toEqual([]);
      }),
      { numRuns: RUNS, timeout: Number(process.env.FUZZ_RUN_TIMEOUT ?? 30_000) },
    );
  }, 600_000);

  it('survives clients that vanish at any byte, and leaks no connection, socket or listener', async () => {
    await until('earlier connections gone', () => rig.proxy.openConnections === 0);
    const baseline = { fds: fds(), listeners: process.listenerCount('warning') + process.listenerCount('unhandledRejection') };
    await fc.assert(
      fc.asyncProperty(conversation, fc.nat(), async ({ requests, cuts }, vanishAt) => {
        const bytes = Buffer.from(requests.join(''), 'latin1');
        const pieces = split(bytes, cuts);
        const stop = vanishAt % (pieces.length + 1);
        await new Promise<void>((done) => {
          const s = connect({ path: rig.proxySocket });
          s.on('error', () => undefined);
          s.on('close', () => done());
          s.on('connect', async () => {
            for (const piece of pieces.slice(0, stop)) await new Promise<void>((w) => s.write(piece, () => w()));
            s.destroy();
          });
        });
        expect(rig.problems).toEqual([]);
      }),
      { numRuns: RUNS, timeout: Number(process.env.FUZZ_RUN_TIMEOUT ?? 30_000) },
    );
    // Connections still waiting for the engine end when it answers; then nothing is left.
    await until('every connection gone', () => rig.proxy.openConnections === 0, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}: still open in ${rig.proxy.connectionStates().join(', ')}`);
    });
    await until('file descriptors back to where they were', () => fds() <= baseline.fds, 30_000);
    expect(process.listenerCount('warning') + process.listenerCount('unhandledRejection')).toBe(baseline.listeners);
    expect(rig.problems).toEqual([]);
  }, 600_000);
});
