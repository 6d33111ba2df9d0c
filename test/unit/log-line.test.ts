import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../main/cli/log-line';
import { summary } from '../../main/engine/log/log-store';
import type { Interceptor } from '../../main/engine/proxy/proxy';
import type { LogDetail, LogEntry } from '#shared/log';
import { startRig } from '../harness/proxy-rig';
import { until } from '../harness/wait';

const base: LogEntry = {
  seq: 1, time: Date.UTC(2026, 10, 28, 12, 0, 0), method: 'POST', path: '/v1.41/images/create?fromImage=ubuntu&tag=18.04',
  route: 'pull', image: 'ubuntu:18.04', status: 200, pending: false, durationMs: 1234.5, bytesIn: 0, bytesOut: 2048,
  action: 'passed', upgraded: false,
};

describe('serve log lines', () => {
  it('print time, method, path, status, duration and bytes', () => {
    expect(formatLogLine(base, 'text')).toBe('2026-11-28T12:00:00.000Z POST /v1.41/images/create?fromImage=ubuntu&tag=18.04 200 1.23s in=0B out=2.0kB');
  });

  it('say what the rewrite did, including failures of each candidate', () => {
    const line = formatLogLine({
      ...base, action: 'fell back',
      rewrite: {
        original: 'docker.io/library/ubuntu:18.04', action: 'mirror', rule: { index: 0, from: 'docker.io/library', name: 'hub' },
        candidates: [
          { ref: 'localhost:5000/ubuntu:18.04', kind: 'mirror', outcome: 'failed', reason: 'connection refused', startedMs: 0, durationMs: 3 },
          { ref: 'docker.io/library/ubuntu:18.04', kind: 'original', outcome: 'ok', startedMs: 3, durationMs: 900 },
        ],
        source: 'docker.io/library/ubuntu:18.04', retag: [], untag: [],
      },
    }, 'text');
    expect(line).toContain('fell back to docker.io/library/ubuntu:18.04 by rule "hub" (docker.io/library) [failed localhost:5000/ubuntu:18.04: connection refused]');
  });

  it('print one JSON object per line in json format', () => {
    expect(JSON.parse(formatLogLine(base, 'json'))).toEqual(base);
  });

  it('print the time as toISOString does, in every second and at every millisecond width', () => {
    for (const time of [0, 7, 45, 999, 1000, base.time - 1, base.time, base.time + 9, base.time + 99, base.time + 1001, 1.5, -1]) {
      expect(formatLogLine({ ...base, time }, 'text').split(' ')[0]).toBe(new Date(time).toISOString());
    }
  });

  it('print in json exactly what JSON.stringify prints of the summary: every field, a pull\'s image bytes for its progress', () => {
    const full: LogDetail = {
      ...base, apiVersion: '1.41', imageBytes: 5, error: 'a "quoted"\nfailure', action: 'redirected', status: null,
      rewrite: { original: 'docker.io/library/ubuntu:18.04', action: 'mirror', candidates: [], retag: [], untag: [], source: 'localhost:5000/ubuntu:18.04' },
      requestHeaders: [['X-Registry-Auth', '<redacted>']], responseHeaders: [['Api-Version', '1.41']], forwardedPath: '/images/create?fromImage=x',
      progress: { layers: 2, layersDone: 2, bytesTotal: 100, bytesDone: 90 },
    };
    expect(JSON.parse(formatLogLine(full, 'json'))).toEqual(JSON.parse(JSON.stringify(summary(full))));
    expect(JSON.parse(formatLogLine({ ...full, progress: undefined }, 'json'))).toEqual(JSON.parse(JSON.stringify(summary({ ...full, progress: undefined }))));
    expect(formatLogLine({ ...base, durationMs: NaN }, 'json')).toContain('"durationMs":null');
  });

  it('print in json, byte for byte, what JSON.stringify prints of the summary of each entry the proxy makes', async () => {
    const pulls: Interceptor = {
      wants: (route) => route.route === 'pull',
      async handle(req, ctx) {
        req.entry.rewrite = { original: 'docker.io/library/x:latest', action: 'mirror', candidates: [], retag: [], untag: [] };
        req.entry.progress = { layers: 1, layersDone: 1, bytesTotal: 10, bytesDone: 10 };
        req.entry.action = 'fell back';
        req.entry.error = 'the "mirror"\tfailed';
        await ctx.respond.json(200, { status: 'pulled' });
        return { kind: 'responded' };
      },
    };
    const rig = await startRig({ interceptors: [pulls] });
    try {
      const ended: LogDetail[] = [];
      rig.logs.subscribe((entry, kind) => void (kind === 'end' && ended.push(entry)));
      const client = await rig.open();
      client.socket.write('GET /v1.41/images/json?all=1&filters=%7B%7D HTTP/1.1\r\nHost: docker\r\nAuthorization: Basic c2VjcmV0\r\n\r\n');
      (await rig.engine()).socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]');
      await until('the list answered', () => ended.length === 1);
      client.socket.write('POST /v1.41/images/create?fromImage=x HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n');
      await until('the pull answered', () => ended.length === 2);
      client.socket.write('NOT HTTP\r\n\r\n');
      await until('the malformed request refused', () => ended.length === 3);
      for (const entry of ended) expect(formatLogLine(entry, 'json')).toBe(JSON.stringify(summary(entry)));
    } finally {
      await rig.stop();
    }
  });
});
