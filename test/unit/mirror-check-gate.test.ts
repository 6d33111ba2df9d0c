import { describe, expect, it } from 'vitest';
import { MirrorCheckGate } from '../../main/shell/mirror-check-gate';

const saved = new Set(['localhost:5000']);

function gate(limits = { perMinute: 5, unsavedPerMinute: 2 }) {
  let now = 1_000_000;
  const g = new MirrorCheckGate(limits, () => now);
  return { g, later: (ms: number) => (now += ms) };
}

describe('which mirror checks main makes', () => {
  it('admits a saved location, refuses one in neither the saved rules nor the draft', () => {
    const { g } = gate();
    expect(g.admit('localhost:5000', saved)).toBeNull();
    expect(g.admit('169.254.169.254', saved)).toBe('169.254.169.254 is not a mirror in the saved rules or in the rules being edited, so it is not checked: add it to a rule first');
  });

  it('admits a location of the draft it holds until a newer draft drops it', () => {
    const { g } = gate();
    g.setDraft(['mirror.example:5000']);
    expect(g.admit('mirror.example:5000', saved)).toBeNull();
    g.setDraft([]);
    expect(g.admit('mirror.example:5000', saved)).toMatch(/is not a mirror in the saved rules/);
  });

  it('limits checks of unsaved locations per minute, and admits them again a minute after the first', () => {
    const { g, later } = gate();
    g.setDraft(['a.example', 'b.example', 'c.example']);
    expect(g.admit('a.example', saved)).toBeNull();
    later(20_000);
    expect(g.admit('b.example', saved)).toBeNull();
    expect(g.admit('c.example', saved)).toBe('c.example was not checked: checks of mirrors that are not saved yet are limited to 2 a minute; try again in 40 s, or save the rules first');
    // Saved locations have their own, larger allowance.
    expect(g.admit('localhost:5000', saved)).toBeNull();
    later(40_000);
    expect(g.admit('c.example', saved)).toBeNull();
  });

  it('limits every check per minute, saved ones too', () => {
    const { g, later } = gate();
    for (let i = 0; i < 5; i++) expect(g.admit('localhost:5000', saved)).toBeNull();
    expect(g.admit('localhost:5000', saved)).toBe('localhost:5000 was not checked: mirror checks are limited to 5 a minute; try again in 60 s');
    later(60_000);
    expect(g.admit('localhost:5000', saved)).toBeNull();
  });
});
