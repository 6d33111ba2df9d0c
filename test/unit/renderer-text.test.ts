import { describe, expect, it } from 'vitest';
import type { CacheServed, LogEntry } from '#shared/log';
import { defaultConfig } from '#shared/config/schema';
import { dockerCommands, dockerHost } from '../../renderer/app/docker-host';
import { inForce, registryList, unmatchedPulls } from '../../renderer/app/in-force';
import { cacheVerdict, cameFrom, cameFromSource, sizeText } from '../../renderer/inspector/pull-outcome';

const pull = (over: Partial<LogEntry>): LogEntry => ({
  seq: 1, time: 0, method: 'POST', path: '/v1.41/images/create?fromImage=ubuntu', route: 'pull', image: 'ubuntu', status: 200,
  pending: false, durationMs: 10, bytesIn: 0, bytesOut: 18_400, action: 'redirected', upgraded: false,
  rewrite: { original: 'docker.io/library/ubuntu:latest', rule: { index: 0, from: 'docker.io' }, action: 'mirror', candidates: [], retag: [], untag: [] },
  ...over,
});

describe('the list\'s "came from / reason" words', () => {
  it('names the mirror a pull came from, or why it went elsewhere or nowhere', () => {
    expect(cameFrom(pull({ rewrite: { ...pull({}).rewrite!, source: 'localhost:5000/library/ubuntu:latest' } }))).toBe('localhost:5000 (mirror)');
    expect(cameFrom(pull({ rewrite: { ...pull({}).rewrite!, rule: { index: -1, from: 'docker.io', cache: 'docker.io' }, source: '127.0.0.1:5050/library/ubuntu:latest' } }))).toBe('local cache (docker.io)');
    const viaCache = (served: CacheServed) => pull({ rewrite: { ...pull({}).rewrite!, rule: { index: -1, from: 'docker.io', cache: 'docker.io' }, cache: { registry: 'docker.io', outcome: 'used', served } } });
    expect(cameFrom(viaCache({ kind: 'hit' }))).toBe('local cache (docker.io), hit');
    expect(cameFrom(viaCache({ kind: 'miss', layersFetched: 1, layers: 2 }))).toBe('local cache (docker.io), miss');
    expect(cameFrom(viaCache({ kind: 'unknown', reason: '2 pulls overlapped' }))).toBe('local cache (docker.io)');
    // The list shows the verdict apart from the source, so a narrow column cuts the source, not the verdict.
    expect([cameFromSource(viaCache({ kind: 'miss', layersFetched: 1, layers: 2 })), cacheVerdict(viaCache({ kind: 'miss', layersFetched: 1, layers: 2 }))]).toEqual(['local cache (docker.io)', 'miss']);
    expect(cacheVerdict(viaCache({ kind: 'unknown', reason: '2 pulls overlapped' }))).toBeUndefined();
    expect(cacheVerdict({ ...viaCache({ kind: 'hit' }), action: 'fell back' })).toBeUndefined();
    const failedMirror = { ref: 'localhost:5000/library/ubuntu:latest', kind: 'mirror' as const, outcome: 'failed' as const, reason: 'toomanyrequests: rate limit', startedMs: 0, durationMs: 1 };
    expect(cameFrom(pull({ action: 'fell back', rewrite: { ...pull({}).rewrite!, candidates: [failedMirror] } }))).toBe('original registry (mirror: toomanyrequests: rate limit)');
    expect(cameFrom(pull({ action: 'failed', rewrite: { ...pull({}).rewrite!, candidates: [{ ...failedMirror, reason: 'connection refused' }] } }))).toBe('connection refused');
    expect(cameFrom(pull({ action: 'failed', rewrite: { ...pull({}).rewrite!, engineError: 'connect ENOENT' } }))).toBe('engine not answering');
    expect(cameFrom(pull({ action: 'blocked', rewrite: { ...pull({}).rewrite!, action: 'block' } }))).toBe('blocked by rule for docker.io');
    expect(cameFrom(pull({ action: 'passed', rewrite: { ...pull({}).rewrite!, action: 'pass', rule: undefined } }))).toBe('original registry (no rule)');
    expect(cameFrom({ ...pull({}), route: 'start', rewrite: undefined, error: 'upstream closed the connection' })).toBe('upstream closed the connection');
  });

  it('gives a pull\'s image size when the engine reported it, never its progress stream\'s size', () => {
    expect(sizeText(pull({ imageBytes: 29_000_000 }))).toBe('29 MB');
    expect(sizeText(pull({}))).toBe('—');
    expect(sizeText({ ...pull({}), route: 'list images', bytesOut: 7_450 })).toBe('7.5 kB');
  });
});

describe('docker commands for the socket', () => {
  it('writes unix sockets and Windows named pipes as docker expects them', () => {
    expect(dockerHost('/run/user/1000/docker-caching/docker.sock')).toBe('unix:///run/user/1000/docker-caching/docker.sock');
    expect(dockerHost('\\\\.\\pipe\\docker_caching')).toBe('npipe:////./pipe/docker_caching');
    expect(dockerCommands('/tmp/d.sock')).toEqual({
      exportHost: 'export DOCKER_HOST=unix:///tmp/d.sock',
      createContext: 'docker context create docker-caching --docker host=unix:///tmp/d.sock',
      useContext: 'docker context use docker-caching',
    });
  });
});

describe('what decides a pull, in words', () => {
  it('counts the rules in force and names what the local cache serves, or that nothing redirects', () => {
    const rule = { from: 'docker.io', to: ['localhost:5000'], enabled: true, fallback: true, retag: true, keepMirrorTag: false, digestOnly: false };
    const withCache = inForce({ ...defaultConfig, rules: [rule, { ...rule, enabled: false }] });
    expect(withCache.rules).toBe(1);
    expect(withCache.cached.slice(0, 2)).toEqual(['docker.io', 'ghcr.io']);
    expect(unmatchedPulls(withCache)).toBe(`pulls from docker.io, ghcr.io and ${withCache.cached.length - 2} more go to the local cache, the rest to their own registry`);
    const none = inForce({ ...defaultConfig, cache: { ...defaultConfig.cache, enabled: false } });
    expect(none).toEqual({ rules: 0, cached: [] });
    expect(unmatchedPulls(none)).toBe('every pull goes to its own registry unchanged');
    expect(registryList(['docker.io', 'ghcr.io', 'quay.io'])).toBe('docker.io, ghcr.io and quay.io');
    expect(registryList(['docker.io'])).toBe('docker.io');
  });
});
