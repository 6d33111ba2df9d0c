import { describe, expect, it } from 'vitest';
import type { LogEntry } from '#shared/log';
import { compileLogFilter, emptyLogFilter, isEmptyLogFilter, matchesLogFilter, statusClass, type LogFilter } from '#shared/log-filter';

function entry(over: Partial<LogEntry> = {}): LogEntry {
  return {
    seq: 1, time: 0, method: 'GET', path: '/v1.41/containers/json', apiVersion: '1.41', route: 'list containers',
    status: 200, pending: false, durationMs: 3, bytesIn: 0, bytesOut: 120, action: 'passed', upgraded: false, ...over,
  };
}

const pull = entry({
  seq: 2, method: 'POST', path: '/v1.41/images/create?fromImage=ubuntu&tag=18.04', route: 'pull', image: 'ubuntu:18.04',
  action: 'redirected',
  rewrite: {
    original: 'docker.io/library/ubuntu:18.04', rule: { index: 0, from: 'docker.io/library', name: 'hub mirror' }, action: 'mirror',
    candidates: [{ ref: 'localhost:5000/ubuntu:18.04', kind: 'mirror', outcome: 'ok', startedMs: 1, durationMs: 200 }],
    source: 'localhost:5000/ubuntu:18.04', retag: [], untag: [],
  },
});

const filter = (over: Partial<LogFilter>): LogFilter => ({ ...emptyLogFilter, ...over });

describe('log filter', () => {
  it('matches everything when empty', () => {
    expect(isEmptyLogFilter(emptyLogFilter)).toBe(true);
    expect(matchesLogFilter(entry(), emptyLogFilter)).toBe(true);
    expect(matchesLogFilter(pull, emptyLogFilter)).toBe(true);
  });

  it('keeps only pulls when "pulls only" is on', () => {
    const f = compileLogFilter(filter({ pullsOnly: true }));
    expect(f(pull)).toBe(true);
    expect(f(entry())).toBe(false);
    expect(isEmptyLogFilter(filter({ pullsOnly: true }))).toBe(false);
  });

  it('filters by any of the chosen actions, methods and routes', () => {
    expect(matchesLogFilter(pull, filter({ actions: ['redirected', 'fell back'] }))).toBe(true);
    expect(matchesLogFilter(entry(), filter({ actions: ['redirected', 'fell back'] }))).toBe(false);
    expect(matchesLogFilter(pull, filter({ methods: ['post'] }))).toBe(true);
    expect(matchesLogFilter(entry(), filter({ methods: ['POST', 'DELETE'] }))).toBe(false);
    expect(matchesLogFilter(entry(), filter({ routes: ['list containers'] }))).toBe(true);
    expect(matchesLogFilter(pull, filter({ routes: ['list containers'] }))).toBe(false);
  });

  it('puts statuses in classes, with pending and never-answered requests apart', () => {
    expect(statusClass({ status: 101, pending: true })).toBe('1xx');
    expect(statusClass({ status: 204, pending: false })).toBe('2xx');
    expect(statusClass({ status: 304, pending: false })).toBe('3xx');
    expect(statusClass({ status: 404, pending: false })).toBe('4xx');
    expect(statusClass({ status: 502, pending: false })).toBe('5xx');
    expect(statusClass({ status: null, pending: true })).toBe('pending');
    expect(statusClass({ status: null, pending: false })).toBe('no response');
    expect(matchesLogFilter(entry({ status: 500 }), filter({ statusClasses: ['4xx', '5xx'] }))).toBe(true);
    expect(matchesLogFilter(entry({ status: 200 }), filter({ statusClasses: ['4xx', '5xx'] }))).toBe(false);
  });

  it('finds an image by what the client wrote or what it was rewritten to, ignoring case', () => {
    expect(matchesLogFilter(pull, filter({ image: 'UBUNTU' }))).toBe(true);
    expect(matchesLogFilter(pull, filter({ image: 'docker.io/library' }))).toBe(true);
    expect(matchesLogFilter(pull, filter({ image: 'localhost:5000' }))).toBe(true);
    expect(matchesLogFilter(pull, filter({ image: 'alpine' }))).toBe(false);
    expect(matchesLogFilter(entry(), filter({ image: 'ubuntu' }))).toBe(false);
  });

  it('requires every free-text word to appear somewhere in the entry', () => {
    expect(matchesLogFilter(pull, filter({ text: 'hub  mirror' }))).toBe(true);
    expect(matchesLogFilter(pull, filter({ text: 'create 18.04' }))).toBe(true);
    expect(matchesLogFilter(pull, filter({ text: 'create alpine' }))).toBe(false);
    expect(matchesLogFilter(entry({ status: 404 }), filter({ text: '404' }))).toBe(true);
    expect(matchesLogFilter(entry({ error: 'connection refused' }), filter({ text: 'Refused' }))).toBe(true);
    expect(matchesLogFilter(pull, filter({ text: 'redirected' }))).toBe(true);
    expect(matchesLogFilter(pull, filter({ text: '   ' }))).toBe(true);
  });

  it('reads image:, status:, rule:, method: and endpoint: words as fields, beside free words', () => {
    const failed = entry({ seq: 3, method: 'POST', route: 'pull', image: 'redis:7', status: 502, action: 'failed', error: 'connection refused' });
    const fellBack = { ...pull, seq: 4, action: 'fell back' as const };
    const matches = (text: string, e: LogEntry) => matchesLogFilter(e, filter({ text }));
    expect(matches('image:ubuntu', pull)).toBe(true);
    expect(matches('image:redis', pull)).toBe(false);
    // "docker" appears in the rule, not in the image as written or rewritten: a field word looks only at its field.
    expect(matches('image:hub', pull)).toBe(false);
    expect(matches('hub', pull)).toBe(true);
    expect(matches('status:failed', failed)).toBe(true);
    expect(matches('status:failed', pull)).toBe(false);
    expect(matches('status:5xx', failed)).toBe(true);
    expect(matches('status:502', failed)).toBe(true);
    expect(matches('status:fell-back', fellBack)).toBe(true);
    expect(matches('status:fellback', fellBack)).toBe(true);
    expect(matches('rule:docker.io/library', pull)).toBe(true);
    expect(matches('rule:hub', pull)).toBe(true);
    expect(matches('rule:ghcr', pull)).toBe(false);
    expect(matches('rule:docker', failed)).toBe(false);
    expect(matches('method:post', pull)).toBe(true);
    expect(matches('method:get', pull)).toBe(false);
    expect(matches('endpoint:pull status:redirected 18.04', pull)).toBe(true);
    expect(matches('status:', failed)).toBe(true);
    expect(matches('nofield:x', pull)).toBe(false);
  });

  it('combines criteria with and', () => {
    const f = compileLogFilter(filter({ pullsOnly: true, actions: ['redirected'], image: 'ubuntu', statusClasses: ['2xx'] }));
    expect(f(pull)).toBe(true);
    expect(f({ ...pull, action: 'fell back' })).toBe(false);
    expect(f({ ...pull, status: null, pending: true })).toBe(false);
  });
});
