import { describe, expect, it } from 'vitest';
import { isAction } from '../../main/cli/log-choice';
import type { LogDetail } from '#shared/log';
import { startRig } from '../harness/proxy-rig';
import { until } from '../harness/wait';

/** The entries a real proxy finishes for what `send` makes the client and the engine say. */
async function finishedEntries(count: number, send: (rig: Awaited<ReturnType<typeof startRig>>) => Promise<void>): Promise<LogDetail[]> {
  const rig = await startRig();
  try {
    const ended: LogDetail[] = [];
    rig.logs.subscribe((entry, kind) => void (kind === 'end' && ended.push(entry)));
    await send(rig);
    await until(`${count} entries finished`, () => ended.length >= count);
    return ended;
  } finally {
    await rig.stop();
  }
}

describe('what serve prints by default (--log actions)', () => {
  it('not the requests the engine answered while docker-caching did nothing, even its 4xx', async () => {
    const entries = await finishedEntries(3, async (rig) => {
      const client = await rig.open();
      client.socket.write('GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\nGET /v1.41/containers/json HTTP/1.1\r\nHost: docker\r\n\r\nGET /v1.41/images/nope/json HTTP/1.1\r\nHost: docker\r\n\r\n');
      const engine = await rig.engine();
      engine.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK');
      engine.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]');
      const missing = '{"message":"No such image: nope:latest"}';
      engine.socket.write(`HTTP/1.1 404 Not Found\r\nContent-Length: ${missing.length}\r\n\r\n${missing}`);
    });
    expect(entries.map((e) => [e.path, e.status])).toEqual([['/_ping', 200], ['/v1.41/containers/json', 200], ['/v1.41/images/nope/json', 404]]);
    expect(entries.filter(isAction)).toEqual([]);
  });

  it('every pull, a malformed request, the engine failing, and a request the engine never answered', async () => {
    const entries = await finishedEntries(4, async (rig) => {
      const first = await rig.open();
      // No interceptor in this rig: a pull the engine answers itself, then the engine's own 500.
      first.socket.write('POST /v1.41/images/create?fromImage=x&tag=1 HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\nGET /v1.41/info HTTP/1.1\r\nHost: docker\r\n\r\n');
      const engine = await rig.engine();
      engine.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
      engine.socket.write('HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}');
      const second = await rig.open();
      second.socket.write('NOT HTTP\r\n\r\n');
      const third = await rig.open();
      third.socket.write('GET /v1.41/version HTTP/1.1\r\nHost: docker\r\n\r\n');
      // The engine closes without an answer.
      (await rig.engine(1)).socket.destroy();
    });
    expect(entries.map((e) => [e.path, e.status, e.action])).toEqual(expect.arrayContaining([
      ['/v1.41/images/create?fromImage=x&tag=1', 200, 'passed'], ['/v1.41/info', 500, 'passed'], ['-', 400, 'failed'], ['/v1.41/version', 502, 'failed'],
    ]));
    for (const entry of entries) expect(isAction(entry), `${entry.method} ${entry.path} ${entry.status}`).toBe(true);
  });
});
