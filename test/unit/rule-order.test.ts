import { describe, expect, it } from 'vitest';
import type { Rule } from '#shared/config/schema';
import { listedRules } from '../../renderer/rules/rule-order';

const mirror = (from: string): Rule => ({ from, enabled: true, to: ['localhost:5000'], fallback: true, retag: true, keepMirrorTag: false, digestOnly: false });

describe('rule list order', () => {
  it('groups by registry and puts the most specific prefix first, whatever the file order', () => {
    const rules = [mirror('docker.io'), mirror('ghcr.io'), mirror('docker.io/library/ubuntu'), mirror('*.example.com'), mirror('docker.io/library'), mirror('a.example.com')];
    const listed = listedRules(rules);
    expect(listed.map((l) => rules[l.index]!.from)).toEqual([
      'a.example.com', '*.example.com', 'docker.io/library/ubuntu', 'docker.io/library', 'docker.io', 'ghcr.io',
    ]);
    expect(listed.map((l) => l.registry)).toEqual(['a.example.com', '*.example.com', 'docker.io', 'docker.io', 'docker.io', 'ghcr.io']);
    expect(listed.every((l) => l.ties.length === 1)).toBe(true);
  });

  it('ties only rules with the same prefix (index.docker.io is docker.io), in file order', () => {
    const rules = [mirror('docker.io/library'), mirror('quay.io'), mirror('index.docker.io/library'), mirror('docker.io')];
    const listed = listedRules(rules);
    expect(listed.map((l) => l.index)).toEqual([0, 2, 3, 1]);
    expect(listed[0]!.ties).toEqual([0, 2]);
    expect(listed[1]!.ties).toEqual([0, 2]);
    expect(listed[2]!.ties).toEqual([3]);
  });

  it('keeps a rule still being written at the end', () => {
    const rules = [mirror(''), mirror('docker.io')];
    expect(listedRules(rules).map((l) => l.index)).toEqual([1, 0]);
  });
});
