import { describe, expect, it } from 'vitest';
import { Counters } from '../../main/engine/log/counters';
import { LogStore } from '../../main/engine/log/log-store';
import type { CacheServed, LogAction, LogDetail } from '#shared/log';

function pull(store: LogStore, action: LogAction, bytesDone = 0, served?: CacheServed): void {
  const e = store.begin({
    time: 0, method: 'POST', path: '/images/create?fromImage=x', route: 'pull', status: 200, pending: true, durationMs: 1,
    bytesIn: 0, bytesOut: 999, action, upgraded: false, requestHeaders: [], responseHeaders: [],
    rewrite: { original: 'docker.io/library/x:1', action: 'mirror', candidates: [], retag: [], untag: [], ...(served ? { cache: { registry: 'docker.io', outcome: 'used' as const, served } } : {}) },
    progress: { layers: 1, layersDone: 1, bytesTotal: bytesDone, bytesDone },
  } as Omit<LogDetail, 'seq'>);
  store.end(e);
}

describe('rewrite counters', () => {
  it('count finished pulls by outcome, those the local cache served alone (hits), and the image bytes that came from mirrors', () => {
    const store = new LogStore(10);
    const counters = new Counters(store);
    let changes = 0;
    counters.onChange(() => changes++);
    pull(store, 'redirected', 5_000_000);
    pull(store, 'redirected', 1_000, { kind: 'hit' });
    pull(store, 'redirected', 0, { kind: 'miss', layersFetched: 1, layers: 1, bytes: 5 });
    pull(store, 'redirected', 0, { kind: 'unknown', reason: '2 pulls overlapped' });
    pull(store, 'fell back', 7_000_000);
    pull(store, 'blocked');
    pull(store, 'failed');
    pull(store, 'passed');
    expect(counters.snapshot()).toEqual({ redirected: 4, fellBack: 1, blocked: 1, failed: 1, bytesFromMirrors: 5_001_000, fromCache: 1 });
    expect(changes).toBe(7);
  });
});
