import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../main/cli/log-line';
import type { LogEntry } from '#shared/log';

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
});
