import { describe, expect, it } from 'vitest';
import type { LogDetail, LogEntry } from '#shared/log';
import { HAR_BASE_URL, toHar, toNdjson } from '#shared/log-export';

const summary: LogEntry = {
  seq: 7, time: Date.UTC(2025, 0, 2, 3, 4, 5, 6), method: 'POST', path: '/v1.41/images/create?fromImage=ubuntu&tag=18.04',
  apiVersion: '1.41', route: 'pull', image: 'ubuntu:18.04', status: 200, pending: false, durationMs: 812, bytesIn: 0,
  bytesOut: 4096, action: 'fell back', upgraded: false,
  rewrite: {
    original: 'docker.io/library/ubuntu:18.04', rule: { index: 1, from: 'docker.io' }, action: 'mirror',
    candidates: [
      { ref: 'localhost:5000/library/ubuntu:18.04', kind: 'mirror', outcome: 'failed', reason: 'manifest unknown', startedMs: 2, durationMs: 30 },
      { ref: 'docker.io/library/ubuntu:18.04', kind: 'original', outcome: 'ok', startedMs: 33, durationMs: 770 },
    ],
    source: 'docker.io/library/ubuntu:18.04', retag: [], untag: [],
  },
};

const detail: LogDetail & { body?: string } = {
  ...summary,
  requestHeaders: [['Host', 'docker'], ['X-Registry-Auth', '<redacted>']],
  responseHeaders: [['Content-Type', 'application/json'], ['Api-Version', '1.41']],
  forwardedPath: '/v1.41/images/create?fromImage=localhost%3A5000%2Flibrary%2Fubuntu&tag=18.04',
  progress: { layers: 2, layersDone: 2, bytesTotal: 1000, bytesDone: 1000 },
  // A field the log might grow one day: exports must never carry it.
  body: '{"password":"hunter2"}',
};

describe('NDJSON export', () => {
  it('writes one parseable object per line, in order', () => {
    const text = toNdjson([summary, { ...summary, seq: 8, status: null, pending: true }]);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.seq)).toEqual([7, 8]);
    expect(lines[0]).toMatchObject({ time: '2025-01-02T03:04:05.006Z', route: 'pull', action: 'fell back', image: 'ubuntu:18.04' });
    expect(lines[0].rewrite.candidates).toHaveLength(2);
    expect(lines[1].status).toBeNull();
  });

  it('includes redacted headers and progress from a detail but never a body', () => {
    const text = toNdjson([detail]);
    const line = JSON.parse(text);
    expect(line.requestHeaders).toContainEqual(['X-Registry-Auth', '<redacted>']);
    expect(line.forwardedPath).toContain('localhost%3A5000');
    expect(line.progress.layers).toBe(2);
    expect(text).not.toContain('hunter2');
    expect(line).not.toHaveProperty('body');
  });

  it('gives an empty file for an empty view', () => {
    expect(toNdjson([])).toBe('');
  });
});

describe('HAR export', () => {
  it('builds a HAR 1.2 log with the request, response and timings', () => {
    const har = toHar([detail], '0.1.0');
    expect(har.log.version).toBe('1.2');
    expect(har.log.creator).toEqual({ name: 'docker-caching', version: '0.1.0' });
    const [e] = har.log.entries;
    expect(e!.startedDateTime).toBe('2025-01-02T03:04:05.006Z');
    expect(e!.time).toBe(812);
    expect(e!.request.url).toBe(`${HAR_BASE_URL}/v1.41/images/create?fromImage=ubuntu&tag=18.04`);
    expect(e!.request.queryString).toEqual([{ name: 'fromImage', value: 'ubuntu' }, { name: 'tag', value: '18.04' }]);
    expect(e!.request.headers).toContainEqual({ name: 'X-Registry-Auth', value: '<redacted>' });
    expect(e!.response).toMatchObject({ status: 200, statusText: 'OK', content: { size: 4096, mimeType: 'application/json' } });
    expect(e!.timings.wait).toBe(812);
    expect(e!._dockerCaching).toMatchObject({ seq: 7, action: 'fell back', route: 'pull' });
    expect(e!._dockerCaching.rewrite?.candidates[0]?.reason).toBe('manifest unknown');
    expect(JSON.stringify(har)).not.toContain('hunter2');
  });

  it('records a request that never got a response as status 0', () => {
    const har = toHar([{ ...summary, status: null, pending: false, error: 'upstream closed the connection' }], '0.1.0');
    expect(har.log.entries[0]!.response.status).toBe(0);
    expect(har.log.entries[0]!.response.statusText).toBe('');
    expect(har.log.entries[0]!.request.headers).toEqual([]);
    expect(har.log.entries[0]!._dockerCaching.error).toBe('upstream closed the connection');
  });
});
