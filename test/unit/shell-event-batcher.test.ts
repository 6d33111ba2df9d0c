import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PushEvent, PushEvents } from '#shared/ipc';
import { EngineEvents } from '../../main/shell/event-batcher';
import { FakeEngine, logDetail } from '../harness/fake-engine';

type Sent = { event: PushEvent; payload: unknown }[];

function recorder() {
  const sent: Sent = [];
  const send = <E extends PushEvent>(event: E, payload: PushEvents[E]) => {
    sent.push({ event, payload });
  };
  const batches = () => sent.filter((s) => s.event === 'logs.batch').map((s) => s.payload as PushEvents['logs.batch']);
  return { sent, send, batches };
}

describe('event batcher', () => {
  let engine: FakeEngine;
  let events: EngineEvents;
  beforeEach(() => {
    vi.useFakeTimers();
    engine = new FakeEngine();
    events = new EngineEvents(engine, { intervalMs: 75, maxEntries: 500 });
  });
  afterEach(() => {
    events.dispose();
    vi.useRealTimers();
  });

  it('sends the log entries of one interval as one batch, not one message each', () => {
    const win = recorder();
    events.attach(win.send, true);
    for (let i = 0; i < 10; i++) engine.logs.begin(logDetail());
    expect(win.sent).toEqual([]);
    vi.advanceTimersByTime(74);
    expect(win.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(win.batches()).toHaveLength(1);
    expect(win.batches()[0]!.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(win.batches()[0]).toMatchObject({ lastSeq: 10, dropped: 0 });
  });

  it('flushes at once when 500 entries are waiting', () => {
    const win = recorder();
    events.attach(win.send, true);
    for (let i = 0; i < 1200; i++) engine.logs.begin(logDetail());
    expect(win.batches().map((b) => b.entries.length)).toEqual([500, 500]);
    vi.advanceTimersByTime(75);
    expect(win.batches().map((b) => b.entries.length)).toEqual([500, 500, 200]);
    expect(win.batches().flatMap((b) => b.entries.map((e) => e.seq))).toEqual(Array.from({ length: 1200 }, (_, i) => i + 1));
  });

  it('sends summaries only, copied when they happen, with the latest update of an entry once', () => {
    const win = recorder();
    events.attach(win.send, true);
    const entry = engine.logs.begin(logDetail({ pending: true, status: null }));
    entry.status = 200;
    engine.logs.update(entry);
    engine.logs.end(entry);
    entry.status = 999; // a later mutation must not leak into what was sent
    vi.advanceTimersByTime(75);
    const [batch] = win.batches();
    expect(batch!.entries).toHaveLength(1);
    expect(batch!.entries[0]).toMatchObject({ seq: 1, status: 200, pending: false });
    expect(batch!.entries[0]).not.toHaveProperty('requestHeaders');
    expect(batch!.entries[0]).not.toHaveProperty('responseHeaders');
  });

  it('sends nothing to a hidden window and re-syncs it from the snapshot when shown', () => {
    const visible = recorder();
    const hidden = recorder();
    events.attach(visible.send, true);
    const { feed } = events.attach(hidden.send, false);
    for (let i = 0; i < 3; i++) engine.logs.begin(logDetail());
    vi.advanceTimersByTime(1000);
    expect(hidden.sent).toEqual([]);
    expect(visible.batches()).toHaveLength(1);

    feed.setVisible(true);
    expect(hidden.sent.map((s) => s.event)).toEqual(['logs.cleared', 'logs.batch']);
    expect(hidden.batches()[0]!.entries.map((e) => e.seq)).toEqual([1, 2, 3]);

    engine.logs.begin(logDetail());
    vi.advanceTimersByTime(75);
    expect(hidden.batches().at(-1)!.entries.map((e) => e.seq)).toEqual([4]);
  });

  it('drops what was pending when a window hides, and re-syncs in batches of at most 500', () => {
    const win = recorder();
    const { feed } = events.attach(win.send, true);
    engine.logs.begin(logDetail());
    feed.setVisible(false);
    vi.advanceTimersByTime(1000);
    expect(win.sent).toEqual([]);
    for (let i = 0; i < 1100; i++) engine.logs.begin(logDetail());
    feed.setVisible(true);
    expect(win.sent[0]!.event).toBe('logs.cleared');
    expect(win.batches().map((b) => b.entries.length)).toEqual([500, 500, 101]);
    expect(win.batches().every((b) => b.lastSeq === 1101)).toBe(true);
  });

  it('does not re-send anything to a window that missed nothing while hidden', () => {
    const win = recorder();
    const { feed } = events.attach(win.send, true);
    feed.setVisible(false);
    feed.setVisible(true);
    expect(win.sent).toEqual([]);
  });

  it('pushes config and status changes to every window, hidden or not, at once', async () => {
    const a = recorder();
    const b = recorder();
    events.attach(a.send, true);
    events.attach(b.send, false);
    await engine.config.setEnabled(false);
    engine.setStatus({ enabled: false });
    for (const win of [a, b]) {
      expect(win.sent.map((s) => s.event)).toEqual(['config.changed', 'status.changed']);
      expect(win.sent[0]!.payload).toMatchObject({ config: { enabled: false }, revision: 2 });
      expect(win.sent[1]!.payload).toMatchObject({ enabled: false });
    }
  });

  it('tells visible windows the log was cleared and forgets what was pending', () => {
    const win = recorder();
    events.attach(win.send, true);
    engine.logs.begin(logDetail());
    engine.logs.clear();
    events.logsCleared();
    vi.advanceTimersByTime(1000);
    expect(win.sent.map((s) => s.event)).toEqual(['logs.cleared']);
  });

  it('stops sending to a detached window and unsubscribes from the engine on dispose', () => {
    const win = recorder();
    const { detach } = events.attach(win.send, true);
    engine.logs.begin(logDetail());
    detach();
    vi.advanceTimersByTime(1000);
    engine.setStatus({ enabled: false });
    expect(win.sent).toEqual([]);

    const other = recorder();
    events.attach(other.send, true);
    events.dispose();
    engine.logs.begin(logDetail());
    engine.setStatus({ enabled: true });
    vi.advanceTimersByTime(1000);
    expect(other.sent).toEqual([]);
  });
});
