import { describe, expect, it } from 'vitest';
import { configSchema, type ConfigInput } from '#shared/config/schema';
import { parseNormalizedNamed } from '#shared/reference';
import { cacheMirror, cacheOfMirror, planPull } from '#shared/rules';

const plan = (image: string, config: Partial<ConfigInput> = {}) => planPull(parseNormalizedNamed(image), configSchema.parse({ version: 1, ...config }));
const mirrorPlan = (image: string, config: Partial<ConfigInput> = {}) => {
  const p = plan(image, config);
  if (p.kind !== 'mirror') throw new Error(`expected a mirror plan for ${image}, got ${p.kind}`);
  return p;
};

describe('the local cache as implicit rules', () => {
  it('sends a pull of a cached registry to 127.0.0.1:PORT first, then the original, retagged', () => {
    const p = mirrorPlan('alpine:3');
    expect(p.match).toMatchObject({ index: -1, cache: 'docker.io', rule: { from: 'docker.io', to: ['127.0.0.1:5050'], fallback: true, retag: true, name: 'local cache (docker.io)' } });
    expect(p.candidates.map((c) => [c.text, c.kind, c.cache])).toEqual([
      ['127.0.0.1:5050/library/alpine:3', 'mirror', 'docker.io'],
      ['docker.io/library/alpine:3', 'original', undefined],
    ]);
    expect(p.retag).toBe(true);
    expect(p.explanation).toBe(
      'Local cache (docker.io) sends docker.io/library/alpine:3 to 127.0.0.1:5050/library/alpine:3, then to the original registry if that fails. A mirror pull is then tagged docker.io/library/alpine:3 and the mirror name removed.',
    );
    expect(mirrorPlan('ghcr.io/owner/tool:1').candidates[0]!.text).toBe('127.0.0.1:5051/owner/tool:1');
  });

  it('lets every explicit rule win, even a less specific one, and uses the cache again when it is disabled', () => {
    const rules = [{ from: '*.io', to: 'mirror.example.com' }];
    expect(plan('ghcr.io/owner/tool:1', { rules }).match).toMatchObject({ index: 0 });
    expect(plan('ghcr.io/owner/tool:1', { rules }).match?.cache).toBeUndefined();
    expect(plan('ghcr.io/owner/tool:1', { rules: [{ ...rules[0]!, enabled: false }] }).match?.cache).toBe('ghcr.io');
    expect(plan('quay.io/x/y:1', { rules: [{ from: 'quay.io', block: 'no' }] }).kind).toBe('block');
  });

  it('passes when the cache, the registry or redirection is off, and for registries not cached', () => {
    expect(plan('alpine:3', { cache: { enabled: false } }).kind).toBe('pass');
    expect(plan('alpine:3', { cache: { registries: { 'docker.io': false } } }).kind).toBe('pass');
    expect(plan('alpine:3', { enabled: false }).kind).toBe('pass');
    expect(plan('registry.example.com/x:1').kind).toBe('pass');
  });

  it('never sends the cache image itself through a cache', () => {
    expect(plan('registry:2').kind).toBe('pass');
    expect(plan('docker.io/library/registry:2.8').kind).toBe('pass');
    expect(plan('ghcr.io/me/registry:1', { cache: { image: 'ghcr.io/me/registry:1' } }).kind).toBe('pass');
    expect(plan('ghcr.io/me/other:1', { cache: { image: 'ghcr.io/me/registry:1' } }).kind).toBe('mirror');
  });

  it('follows the ports and registries of the cache settings', () => {
    const p = mirrorPlan('registry.corp:8443/team/app:2', { cache: { registries: { 'registry.corp:8443': { port: 6100 } } } });
    expect(p.candidates[0]!.text).toBe('127.0.0.1:6100/team/app:2');
  });

  it('offers the local cache as a mirror for an explicit rule, and starts it for pulls there', () => {
    const config = configSchema.parse({ version: 1 });
    expect(cacheMirror('docker.io/library', config)).toBe('127.0.0.1:5050/library');
    expect(cacheMirror('ghcr.io', config)).toBe('127.0.0.1:5051');
    expect(cacheMirror('registry.example.com/x', config)).toBeUndefined();
    expect(cacheMirror('*.docker.io', config)).toBeUndefined();
    expect(cacheOfMirror('127.0.0.1:5050/library', config)).toBe('docker.io');
    expect(cacheOfMirror('127.0.0.1:5999', config)).toBeUndefined();
    const p = mirrorPlan('alpine:3', { rules: [{ from: 'docker.io/library', to: ['127.0.0.1:5050/library', 'mirror.example.com'] }] });
    expect(p.match?.index).toBe(0);
    expect(p.candidates.map((c) => [c.text, c.cache])).toEqual([
      ['127.0.0.1:5050/library/alpine:3', 'docker.io'],
      ['mirror.example.com/alpine:3', undefined],
      ['docker.io/library/alpine:3', undefined],
    ]);
    expect(mirrorPlan('alpine:3', { cache: { enabled: false }, rules: [{ from: 'docker.io', to: '127.0.0.1:5050' }] }).candidates[0]!.cache).toBeUndefined();
  });
});
