import { describe, expect, it } from 'vitest';
import { LogStore } from '../../main/engine/log/log-store';
import type { LogDetail } from '#shared/log';

const entry = (path: string): Omit<LogDetail, 'seq'> => ({
  time: 0, method: 'GET', path, route: 'other', status: null, pending: true, durationMs: 0, bytesIn: 0, bytesOut: 0,
  action: 'passed', upgraded: false, requestHeaders: [['X-Registry-Auth', '<redacted>']], responseHeaders: [],
});

describe('LogStore', () => {
  it('keeps notifying, and keeps logging, when a listener throws', () => {
    const store = new LogStore(10);
    const seen: string[] = [];
    const stderr = process.stderr.write;
    const reported: string[] = [];
    process.stderr.write = ((text: string) => (reported.push(text), true)) as typeof process.stderr.write;
    try {
      store.subscribe(() => {
        throw new Error('listener bug');
      });
      store.subscribe((e, kind) => void seen.push(`${kind} ${e.path}`));
      const stored = store.begin(entry('/a'));
      store.end(stored);
    } finally {
      process.stderr.write = stderr;
    }
    expect(seen).toEqual(['begin /a', 'end /a']);
    expect(store.snapshot().map((e) => e.path)).toEqual(['/a']);
    expect(reported.join('')).toContain('a request log listener failed and was skipped: listener bug');
  });

  it('numbers entries, caps the ring and counts what it dropped', () => {
    const store = new LogStore(3);
    for (let i = 0; i < 5; i++) store.begin(entry(`/${i}`));
    expect(store.snapshot().map((e) => [e.seq, e.path])).toEqual([[3, '/2'], [4, '/3'], [5, '/4']]);
    expect(store.dropped).toBe(2);
    expect(store.lastSeq).toBe(5);
    expect(store.detail(1)).toBeNull();
    expect(store.detail(5)?.requestHeaders).toEqual([['X-Registry-Auth', '<redacted>']]);
  });

  it('tells subscribers about begin, update and end, and stops after unsubscribe', () => {
    const store = new LogStore(10);
    const seen: string[] = [];
    const off = store.subscribe((e, kind) => seen.push(`${kind}:${e.seq}`));
    const e = store.begin(entry('/a'));
    store.update(e);
    store.end(e);
    off();
    store.begin(entry('/b'));
    expect(seen).toEqual(['begin:1', 'update:1', 'end:1']);
    expect(e.pending).toBe(false);
  });

  it('snapshots summaries without headers, limited to the newest', () => {
    const store = new LogStore(10);
    for (let i = 0; i < 4; i++) store.begin(entry(`/${i}`));
    const snap = store.snapshot(2);
    expect(snap.map((e) => e.path)).toEqual(['/2', '/3']);
    expect('requestHeaders' in snap[0]!).toBe(false);
  });

  it('gives a pull summary the image bytes downloaded, not the progress itself', () => {
    const store = new LogStore(10);
    const pull = store.begin({ ...entry('/images/create?fromImage=ubuntu'), route: 'pull', bytesOut: 18_400 });
    expect('imageBytes' in store.snapshot()[0]!).toBe(false);
    pull.progress = { layers: 2, layersDone: 2, bytesTotal: 29_000_000, bytesDone: 29_000_000 };
    store.end(pull);
    const [summary] = store.snapshot();
    expect(summary).toMatchObject({ bytesOut: 18_400, imageBytes: 29_000_000 });
    expect('progress' in summary!).toBe(false);
  });

  it('clear forgets retained entries but keeps numbering', () => {
    const store = new LogStore(10);
    store.begin(entry('/a'));
    store.clear();
    expect(store.snapshot()).toEqual([]);
    expect(store.begin(entry('/b')).seq).toBe(2);
  });
});

describe('LogStore details', () => {
  it('builds the response header list from the raw head only when details are asked for', () => {
    const store = new LogStore(10);
    const e = store.begin(entry('/x')) as LogDetail & { responseHead?: string };
    e.responseHead = 'HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json';
    expect(store.detail(e.seq)?.responseHeaders).toEqual([['Api-Version', '1.41'], ['Content-Type', 'application/json']]);
    expect('responseHead' in store.detail(e.seq)!).toBe(false);
    expect('responseHead' in store.snapshot()[0]!).toBe(false);
  });
});
