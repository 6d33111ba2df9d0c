import { describe, expect, it } from 'vitest';
import { LogPrinter, PRINT_SLICE } from '../../main/cli/log-printer';
import type { LogDetail } from '#shared/log';
import { until } from '../harness/wait';

const entry = (seq: number): LogDetail => ({
  seq, time: Date.UTC(2026, 11, 1, 20, 0, 0), method: 'GET', path: '/_ping', route: 'ping', status: 200, pending: false,
  durationMs: 0.25, bytesIn: 0, bytesOut: 2, action: 'passed', upgraded: false,
  requestHeaders: [['X-Registry-Auth', 'secret']], responseHeaders: [],
});

describe('serve log printer', () => {
  it('prints every finished request once, in order, in writes of at most one slice', async () => {
    const writes: string[] = [];
    const printer = new LogPrinter('json', (text) => writes.push(text));
    const count = PRINT_SLICE * 3 + 5;
    for (let seq = 1; seq <= count; seq++) printer.add(entry(seq));
    expect(writes).toEqual([]);
    await until('every line printed', () => writes.join('').split('\n').length > count);
    const lines = writes.join('').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(writes.every((w) => w.trimEnd().split('\n').length <= PRINT_SLICE)).toBe(true);
    // The summary is printed, never the headers.
    expect(writes.join('')).not.toContain('secret');
  });

  it('prints what is still queued at once when flushed', () => {
    const writes: string[] = [];
    const printer = new LogPrinter('text', (text) => writes.push(text));
    for (let seq = 1; seq <= PRINT_SLICE + 1; seq++) printer.add(entry(seq));
    printer.flush();
    expect(writes.join('').trimEnd().split('\n')).toHaveLength(PRINT_SLICE + 1);
    printer.flush();
    expect(writes.join('').trimEnd().split('\n')).toHaveLength(PRINT_SLICE + 1);
  });
});
