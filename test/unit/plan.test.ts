// Rule matching, mirror name rewriting and the pull plan (shared/rules): what a pull of one
// reference does under a config, as the proxy, `resolve` and the rule editor all see it.
import { describe, expect, it } from 'vitest';
import { type BlockRule, type Config, type MirrorRule, type Rule, configSchema, defaultConfig } from '#shared/config/schema';
import { type Reference, parseNormalizedNamed, referenceString } from '#shared/reference';
import { matchRule, planPull, rewriteName, type MirrorPlan, type PassPlan, type PullPlan } from '#shared/rules';

const digest = `sha256:${'a'.repeat(64)}`;
const ref = (s: string): Reference => parseNormalizedNamed(s);

const mirror = (from: string, to: string | string[], extra: Partial<MirrorRule> = {}): MirrorRule => ({
  from,
  to: typeof to === 'string' ? [to] : to,
  fallback: true,
  retag: true,
  keepMirrorTag: false,
  digestOnly: false,
  enabled: true,
  ...extra,
});
const block = (from: string, message: string, extra: Partial<BlockRule> = {}): BlockRule => ({
  from,
  block: message,
  enabled: true,
  ...extra,
});
// The local cache's implicit rules are off here: these tests are about the explicit rules.
const config = (...rules: Rule[]): Config => ({ version: 1, enabled: true, upstream: 'auto', notifications: true, rules, cache: { ...defaultConfig.cache, enabled: false } });

/** Index of the rule that decides a pull of `image`, or undefined. */
const decidingRule = (image: string, cfg: Config): number | undefined => matchRule(ref(image), cfg)?.index;
/** The plan, which must be of `kind`. */
function planOf(kind: 'mirror', image: string, cfg: Config): MirrorPlan;
function planOf(kind: 'pass', image: string, cfg: Config): PassPlan;
function planOf(kind: PullPlan['kind'], image: string, cfg: Config): PullPlan {
  const plan = planPull(ref(image), cfg);
  expect(plan.kind).toBe(kind);
  return plan;
}
/** What a pull of `image` would try, in order, as fully-qualified names. */
const tried = (image: string, cfg: Config): string[] => {
  const plan = planPull(ref(image), cfg);
  return plan.kind === 'block' ? [] : plan.candidates.filter((c) => c.ref !== null).map((c) => c.text);
};

describe('matching a rule', () => {
  it('matches from on path-component boundaries: docker.io/library covers docker.io/library/ubuntu, not docker.io/libraryx/foo', () => {
    const cfg = config(mirror('docker.io/library', 'localhost:5000'));
    expect(decidingRule('ubuntu', cfg)).toBe(0);
    expect(decidingRule('docker.io/library/foo/bar', cfg)).toBe(0);
    expect(decidingRule('libraryx/foo', cfg)).toBeUndefined();
    expect(decidingRule('other/library', cfg)).toBeUndefined();
  });

  it('a from that is a whole repository name matches that repository', () => {
    const cfg = config(mirror('docker.io/library/ubuntu', 'localhost:5000/ubuntu'));
    expect(decidingRule('ubuntu:18.04', cfg)).toBe(0);
    expect(decidingRule('ubuntu-debootstrap', cfg)).toBeUndefined();
  });

  it('a bare domain covers every repository on that registry', () => {
    const cfg = config(mirror('docker.io', 'localhost:5000'), mirror('ghcr.io', 'localhost:5001'));
    expect(decidingRule('ubuntu', cfg)).toBe(0);
    expect(decidingRule('user/app', cfg)).toBe(0);
    expect(decidingRule('ghcr.io/owner/app/sub', cfg)).toBe(1);
    expect(decidingRule('quay.io/owner/app', cfg)).toBeUndefined();
  });

  it('treats a domain with a port as its own registry', () => {
    const cfg = config(block('localhost:5001', 'not that one'));
    expect(decidingRule('localhost:5001/app', cfg)).toBe(0);
    expect(decidingRule('localhost:5000/app', cfg)).toBeUndefined();
    expect(decidingRule('localhost/app', cfg)).toBeUndefined();
  });

  it('a *.example.com wildcard covers subdomains at any depth, with any path, but not example.com itself', () => {
    const cfg = config(block('*.example.com', 'internal only'));
    expect(decidingRule('a.example.com/app', cfg)).toBe(0);
    expect(decidingRule('b.a.example.com/team/app:1', cfg)).toBe(0);
    expect(decidingRule('example.com/app', cfg)).toBeUndefined();
    expect(decidingRule('notexample.com/app', cfg)).toBeUndefined();
    expect(decidingRule('a.example.com.evil.io/app', cfg)).toBeUndefined();
  });

  it('a wildcard without a port covers every port of its subdomains; with a port, only that port', () => {
    expect(decidingRule('a.example.com:5000/app', config(block('*.example.com', 'no')))).toBe(0);
    const withPort = config(block('*.example.com:5000', 'no'));
    expect(decidingRule('a.example.com:5000/app', withPort)).toBe(0);
    expect(decidingRule('a.example.com:6000/app', withPort)).toBeUndefined();
    expect(decidingRule('a.example.com/app', withPort)).toBeUndefined();
  });

  it('a wildcard with a path covers only that path on the subdomains', () => {
    const cfg = config(mirror('*.example.com/team', 'localhost:5000'));
    expect(decidingRule('a.example.com/team/app', cfg)).toBe(0);
    expect(decidingRule('a.example.com/other/app', cfg)).toBeUndefined();
  });

  it('reads index.docker.io in from as docker.io', () => {
    const cfg = config(mirror('index.docker.io/library', 'localhost:5000'));
    expect(decidingRule('ubuntu', cfg)).toBe(0);
    expect(decidingRule('index.docker.io/library/ubuntu', cfg)).toBe(0);
  });

  it('compares domains case-insensitively', () => {
    expect(decidingRule('ghcr.io/owner/app', config(mirror('GHCR.io', 'localhost:5000')))).toBe(0);
    expect(decidingRule('GHCR.IO/owner/app', config(mirror('ghcr.io/owner', 'localhost:5000')))).toBe(0);
    expect(decidingRule('Registry.Example.com/app', config(block('*.EXAMPLE.com', 'no')))).toBe(0);
  });

  it('matches an IPv6 registry with a port', () => {
    const cfg = config(mirror('[::1]:5000', 'localhost:5000'));
    expect(decidingRule('[::1]:5000/app', cfg)).toBe(0);
    expect(decidingRule('[::1]:5001/app', cfg)).toBeUndefined();
  });

  it('longest matching prefix wins, whatever the order of the rules', () => {
    const rules = [mirror('docker.io', 'hub.local:5000'), mirror('docker.io/library', 'official.local:5000'), block('docker.io/library/alpine', 'use ubuntu')];
    for (const ordered of [rules, [...rules].reverse()]) {
      const cfg = config(...ordered);
      expect(matchRule(ref('alpine'), cfg)?.rule.from).toBe('docker.io/library/alpine');
      expect(matchRule(ref('ubuntu'), cfg)?.rule.from).toBe('docker.io/library');
      expect(matchRule(ref('user/app'), cfg)?.rule.from).toBe('docker.io');
    }
  });

  it('an exact domain beats a wildcard that covers the same name', () => {
    const cfg = config(block('*.example.com', 'no'), mirror('registry.example.com', 'localhost:5000'));
    expect(decidingRule('registry.example.com/app', cfg)).toBe(1);
    expect(decidingRule('other.example.com/app', cfg)).toBe(0);
  });

  it('a longer wildcard beats a shorter one, and a wildcard with a port beats one without', () => {
    const cfg = config(block('*.example.com', 'no'), block('*.team.example.com', 'no'), block('*.team.example.com:5000', 'no'));
    expect(decidingRule('a.team.example.com/app', cfg)).toBe(1);
    expect(decidingRule('a.team.example.com:5000/app', cfg)).toBe(2);
  });

  it('a longer path beats a shorter one even when the longer one is a wildcard', () => {
    const cfg = config(mirror('registry.example.com', 'localhost:5000'), block('*.example.com/secret', 'no'));
    expect(decidingRule('registry.example.com/secret/app', cfg)).toBe(1);
    expect(decidingRule('registry.example.com/public/app', cfg)).toBe(0);
  });

  it('among equally specific rules, the earlier one wins', () => {
    const cfg = config(mirror('docker.io', 'first.local:5000'), mirror('docker.io', 'second.local:5000'), mirror('index.docker.io', 'third.local:5000'));
    expect(decidingRule('ubuntu', cfg)).toBe(0);
  });

  it('ignores disabled rules, so a less specific rule or no rule decides', () => {
    const cfg = config(mirror('docker.io', 'localhost:5000'), mirror('docker.io/library', 'localhost:5001', { enabled: false }));
    expect(decidingRule('ubuntu', cfg)).toBe(0);
    expect(decidingRule('ubuntu', config(mirror('docker.io', 'localhost:5000', { enabled: false })))).toBeUndefined();
  });

  it('matches nothing when the config is turned off', () => {
    expect(decidingRule('ubuntu', { ...config(mirror('docker.io', 'localhost:5000')), enabled: false })).toBeUndefined();
  });
});

describe('rewriting a name for a mirror', () => {
  const rewritten = (image: string, from: string, to: string): string => {
    const result = rewriteName(ref(image), from, to);
    return typeof result === 'string' ? `skipped: ${result}` : referenceString(result);
  };

  it('replaces the matched prefix with the mirror location, keeping the rest of the path and the tag', () => {
    expect(rewritten('ubuntu:18.04', 'docker.io', 'localhost:5000')).toBe('localhost:5000/library/ubuntu:18.04');
    expect(rewritten('ubuntu:18.04', 'docker.io/library', 'localhost:5000')).toBe('localhost:5000/ubuntu:18.04');
    expect(rewritten('ghcr.io/owner/app/sub:v1', 'ghcr.io/owner', 'localhost:5000')).toBe('localhost:5000/app/sub:v1');
  });

  it('puts the rest of the path under a mirror location that has a path', () => {
    expect(rewritten('ubuntu:18.04', 'docker.io', 'mirror.example.com/hub')).toBe('mirror.example.com/hub/library/ubuntu:18.04');
    expect(rewritten('ubuntu:18.04', 'docker.io/library/ubuntu', 'mirror.example.com/ubuntu-lts')).toBe('mirror.example.com/ubuntu-lts:18.04');
  });

  it('keeps a digest, and a tag with a digest', () => {
    expect(rewritten(`ubuntu@${digest}`, 'docker.io', 'localhost:5000')).toBe(`localhost:5000/library/ubuntu@${digest}`);
    expect(rewritten(`ubuntu:18.04@${digest}`, 'docker.io', 'localhost:5000')).toBe(`localhost:5000/library/ubuntu:18.04@${digest}`);
  });

  it('keeps a name with no tag tagless (the daemon then pulls every tag)', () => {
    const result = rewriteName(ref('ubuntu'), 'docker.io', 'localhost:5000');
    expect(result).toEqual({ domain: 'localhost:5000', path: 'library/ubuntu' });
  });

  it('replaces the whole domain under a wildcard', () => {
    expect(rewritten('b.a.example.com/team/app:1', '*.example.com', 'cache.local:5000/example')).toBe('cache.local:5000/example/team/app:1');
  });

  it('says why, instead of throwing, when the mirror name would have no repository path', () => {
    expect(rewritten('ubuntu:18.04', 'docker.io/library/ubuntu', 'localhost:5000')).toBe(
      'skipped: docker.io/library/ubuntu covers the whole name docker.io/library/ubuntu and the mirror location localhost:5000 has no path to put in its place, so the mirror name would have no repository path.',
    );
  });

  it('says why when the mirror name would be longer than Docker allows', () => {
    const longMirror = `localhost:5000/${'m'.repeat(250)}`;
    expect(rewritten('ubuntu', 'docker.io', longMirror)).toBe(
      `skipped: ${longMirror}/library/ubuntu is not a valid image reference: repository name must not be more than 255 characters.`,
    );
  });

  it('says why when Docker would read the mirror name as a different Docker Hub repository', () => {
    expect(rewritten('ghcr.io/owner/app:1', 'ghcr.io/owner', 'docker.io')).toBe(
      'skipped: Docker would read docker.io/app:1 as docker.io/library/app:1, a different repository.',
    );
  });

  it('says so when from does not cover the name', () => {
    expect(rewritten('quay.io/app', 'docker.io', 'localhost:5000')).toBe('skipped: docker.io does not cover quay.io/app.');
  });
});

describe('planning a pull', () => {
  it('tries each mirror in order, then the original registry', () => {
    const plan = planOf('mirror', 'ubuntu:18.04', config(mirror('docker.io', ['localhost:5000', 'mirror.example.com/hub'])));
    expect(plan.candidates.map(({ text, kind, mirror: from }) => ({ text, kind, mirror: from }))).toEqual([
      { text: 'localhost:5000/library/ubuntu:18.04', kind: 'mirror', mirror: 'localhost:5000' },
      { text: 'mirror.example.com/hub/library/ubuntu:18.04', kind: 'mirror', mirror: 'mirror.example.com/hub' },
      { text: 'docker.io/library/ubuntu:18.04', kind: 'original', mirror: undefined },
    ]);
    expect(plan.candidates[0]?.ref).toEqual({ domain: 'localhost:5000', path: 'library/ubuntu', tag: '18.04' });
    expect(plan.candidates[2]?.ref).toBe(plan.original);
  });

  it('leaves out the original registry when fallback is off', () => {
    expect(tried('ubuntu:18.04', config(mirror('docker.io', 'localhost:5000', { fallback: false })))).toEqual([
      'localhost:5000/library/ubuntu:18.04',
    ]);
  });

  it('falls back to the original registry by default for a rule written without fallback', () => {
    const cfg = configSchema.parse({ version: 1, rules: [{ from: 'docker.io', to: 'localhost:5000' }] });
    expect(tried('ubuntu:18.04', cfg)).toEqual(['localhost:5000/library/ubuntu:18.04', 'docker.io/library/ubuntu:18.04']);
    expect(planPull(ref('ubuntu:18.04'), cfg)).toMatchObject({ retag: true, keepMirrorTag: false });
  });

  it('keeps a mirror that gives no valid name in the plan as skipped, and still tries the others', () => {
    const plan = planOf('mirror', 'ubuntu:18.04', config(mirror('docker.io/library/ubuntu', ['localhost:5000', 'localhost:5001/ubuntu'])));
    expect(plan.candidates).toEqual([
      expect.objectContaining({ ref: null, text: 'localhost:5000/:18.04', kind: 'mirror', mirror: 'localhost:5000', skipped: expect.stringContaining('no repository path') }),
      { ref: ref('localhost:5001/ubuntu:18.04'), text: 'localhost:5001/ubuntu:18.04', kind: 'mirror', mirror: 'localhost:5001/ubuntu' },
      expect.objectContaining({ text: 'docker.io/library/ubuntu:18.04', kind: 'original' }),
    ]);
    expect(plan.explanation).toContain('(1 mirror location gives no valid image name and is skipped)');
  });

  it('digestOnly leaves tag pulls to the original registry, and says so', () => {
    const cfg = config(mirror('docker.io', 'localhost:5000', { digestOnly: true, name: 'pinned only' }));
    const plan = planOf('pass', 'ubuntu:18.04', cfg);
    expect(plan.match?.index).toBe(0);
    expect(plan.candidates.map((c) => c.text)).toEqual(['docker.io/library/ubuntu:18.04']);
    expect(plan.explanation).toBe(
      'Rule "pinned only" (from docker.io) redirects only pulls by digest; docker.io/library/ubuntu:18.04 is pulled by tag, so it goes to the original registry.',
    );
  });

  it('digestOnly redirects pulls by digest, and says the mirror name stays because a digest cannot be tagged', () => {
    const cfg = config(mirror('docker.io', 'localhost:5000', { digestOnly: true }));
    const plan = planOf('mirror', `ubuntu@${digest}`, cfg);
    expect(plan.explanation).toBe(
      `Rule 1 (from docker.io) sends docker.io/library/ubuntu@${digest} to localhost:5000/library/ubuntu@${digest}, then to the original registry if that fails. A digest cannot be tagged, so a mirror pull keeps its mirror name.`,
    );
    expect(tried(`ubuntu:18.04@${digest}`, cfg)).toEqual([
      `localhost:5000/library/ubuntu:18.04@${digest}`,
      `docker.io/library/ubuntu:18.04@${digest}`,
    ]);
  });

  it('blocks with the rule’s message and pulls nothing', () => {
    const plan = planPull(ref('alpine'), config(mirror('docker.io', 'localhost:5000'), block('docker.io/library/alpine', 'Use the company base image instead')));
    expect(plan).toMatchObject({ kind: 'block', message: 'Use the company base image instead', match: { index: 1 } });
    expect(plan.explanation).toBe('Rule 2 (from docker.io/library/alpine) blocks docker.io/library/alpine: Use the company base image instead.');
  });

  it('passes a pull no rule matches straight to its own registry', () => {
    const plan = planPull(ref('quay.io/app:1'), config(mirror('docker.io', 'localhost:5000')));
    expect(plan).toEqual({
      kind: 'pass',
      original: ref('quay.io/app:1'),
      match: null,
      candidates: [{ ref: ref('quay.io/app:1'), text: 'quay.io/app:1', kind: 'original' }],
      explanation: 'No rule matches quay.io/app:1, so it is pulled from its own registry.',
    });
  });

  it('passes every pull through when the config is turned off, and says why', () => {
    const plan = planOf('pass', 'ubuntu', { ...config(block('docker.io', 'no')), enabled: false });
    expect(plan.match).toBeNull();
    expect(plan.explanation).toBe('Redirecting is turned off in the config, so docker.io/library/ubuntu is pulled from its own registry.');
  });

  it('carries retag and keepMirrorTag from the rule, and explains what happens to the names', () => {
    const kept = planPull(ref('ubuntu:18.04'), config(mirror('docker.io', 'localhost:5000', { keepMirrorTag: true })));
    expect(kept).toMatchObject({ retag: true, keepMirrorTag: true });
    expect(kept.explanation).toContain('A mirror pull is then tagged docker.io/library/ubuntu:18.04, keeping the mirror name too.');
    const untagged = planPull(ref('ubuntu:18.04'), config(mirror('docker.io', 'localhost:5000', { retag: false })));
    expect(untagged).toMatchObject({ retag: false });
    expect(untagged.explanation).toContain('The image keeps only its mirror name.');
  });

  it('explains a mirror plan in two plain sentences', () => {
    const plan = planPull(ref('ubuntu:18.04'), config(mirror('docker.io', ['localhost:5000', 'mirror.example.com/hub'], { name: 'hub cache' })));
    expect(plan.explanation).toBe(
      'Rule "hub cache" (from docker.io) sends docker.io/library/ubuntu:18.04 to localhost:5000/library/ubuntu:18.04, then mirror.example.com/hub/library/ubuntu:18.04, then to the original registry if they all fail. A mirror pull is then tagged docker.io/library/ubuntu:18.04 and the mirror name removed.',
    );
  });

  it('says the pull will fail when no mirror gives a valid name and fallback is off', () => {
    const plan = planOf('mirror', 'ubuntu', config(mirror('docker.io/library/ubuntu', 'localhost:5000', { fallback: false })));
    expect(plan.candidates.every((c) => c.ref === null)).toBe(true);
    expect(plan.explanation).toBe(
      'Rule 1 (from docker.io/library/ubuntu) matches docker.io/library/ubuntu, but none of its mirror locations gives a valid image name and fallback is off, so the pull will fail.',
    );
  });

  it('lets the longest prefix decide between a block rule and a mirror rule', () => {
    const cfg = config(block('docker.io', 'Docker Hub is blocked here'), mirror('docker.io/library', 'localhost:5000'));
    expect(planPull(ref('ubuntu'), cfg).kind).toBe('mirror');
    expect(planPull(ref('user/app'), cfg).kind).toBe('block');
  });

  it('a mirror location that gives the original reference is the original: pulled once, never renamed, and said so', () => {
    const plan = planOf('mirror', '127.0.0.1:5300/app:1', config(mirror('127.0.0.1:5300', '127.0.0.1:5300')));
    expect(plan.candidates).toEqual([
      { ref: ref('127.0.0.1:5300/app:1'), text: '127.0.0.1:5300/app:1', kind: 'original', mirror: '127.0.0.1:5300' },
      { ref: null, text: '127.0.0.1:5300/app:1', kind: 'original', skipped: 'the same reference as candidate 1, which is tried already.' },
    ]);
    expect(plan.candidates.filter((c) => c.kind === 'mirror')).toEqual([]);
    expect(plan.explanation).toBe(
      'Rule 1 (from 127.0.0.1:5300) sends 127.0.0.1:5300/app:1 to 127.0.0.1:5300/app:1 (the original itself) (1 candidate repeats an earlier one and is dropped). A mirror location that gives the original reference is the original registry: that pull keeps its name and is never renamed.',
    );
  });

  it('the original stays the original with fallback off too, so the pull still works', () => {
    expect(tried('127.0.0.1:5300/app:1', config(mirror('127.0.0.1:5300', '127.0.0.1:5300', { fallback: false })))).toEqual(['127.0.0.1:5300/app:1']);
  });

  it('drops a mirror location listed twice and says so', () => {
    const plan = planOf('mirror', 'ubuntu:18.04', config(mirror('docker.io', ['localhost:5000', 'localhost:5001', 'localhost:5000'])));
    expect(plan.candidates.map((c) => (c.ref === null ? `skipped ${c.text}: ${c.skipped}` : c.text))).toEqual([
      'localhost:5000/library/ubuntu:18.04',
      'localhost:5001/library/ubuntu:18.04',
      'skipped localhost:5000/library/ubuntu:18.04: the same reference as candidate 1, which is tried already.',
      'docker.io/library/ubuntu:18.04',
    ]);
    expect(plan.explanation).toContain('(1 candidate repeats an earlier one and is dropped), then to the original registry if they all fail.');
  });
});
