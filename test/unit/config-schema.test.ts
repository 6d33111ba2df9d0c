import { describe, expect, it } from 'vitest';
import { configSchema, defaultConfig, isBlockRule, sameConfig, type Config } from '#shared/config/schema';
import { validateConfig } from '#shared/config/validate';

const issueExample = {
  version: 1,
  enabled: true,
  rules: [
    {
      from: 'docker.io/library',
      to: ['localhost:5000'],
      fallback: true,
      retag: true,
      keepMirrorTag: false,
      digestOnly: false,
      enabled: true,
      name: 'optional label',
    },
    { from: 'quay.io', block: 'pulls from quay.io are not allowed here' },
  ],
};

// The issue's documented cache defaults; the default registry set is in cache-schema.ts.
const defaultCache = { enabled: true, image: 'registry:2', network: 'bridge', ttl: '168h', maxSize: '20GB', registries: {} };

/** The issues validateConfig reports, as `field: message` lines. */
function issuesOf(value: unknown): string[] {
  const result = validateConfig(value);
  if (result.ok) throw new Error(`expected ${JSON.stringify(value)} to be invalid`);
  return result.issues.map((issue) => `${issue.field}: ${issue.message}`);
}

function withRule(rule: unknown): unknown {
  return { version: 1, rules: [rule] };
}

describe('config schema', () => {
  it('accepts the example from the issue and fills in the defaults', () => {
    const config = configSchema.parse(issueExample);
    expect(config).toEqual({
      version: 1,
      enabled: true,
      upstream: 'auto',
      notifications: true,
      rules: [
        {
          from: 'docker.io/library',
          to: ['localhost:5000'],
          fallback: true,
          retag: true,
          keepMirrorTag: false,
          digestOnly: false,
          enabled: true,
          name: 'optional label',
        },
        { from: 'quay.io', enabled: true, block: 'pulls from quay.io are not allowed here' },
      ],
      cache: defaultCache,
    });
    expect(config.rules.map(isBlockRule)).toEqual([false, true]);
  });

  it('gives a minimal file the documented defaults', () => {
    expect(defaultConfig).toEqual({ version: 1, enabled: true, upstream: 'auto', notifications: true, rules: [], cache: defaultCache });
    const [rule] = configSchema.parse(withRule({ from: 'ghcr.io', to: 'localhost:5000' })).rules;
    expect(rule).toEqual({
      from: 'ghcr.io',
      to: ['localhost:5000'],
      fallback: true,
      retag: true,
      keepMirrorTag: false,
      digestOnly: false,
      enabled: true,
    });
  });

  it('takes `to` as a string or a list, and always gives a list', () => {
    const one = configSchema.parse(withRule({ from: 'ghcr.io', to: 'localhost:5000' }));
    const many = configSchema.parse(withRule({ from: 'ghcr.io', to: ['localhost:5000', 'mirror.example.com/hub'] }));
    expect(one.rules[0]).toMatchObject({ to: ['localhost:5000'] });
    expect(many.rules[0]).toMatchObject({ to: ['localhost:5000', 'mirror.example.com/hub'] });
    expect(issuesOf(withRule({ from: 'ghcr.io', to: [] }))).toEqual(['rules.0.to: needs at least one mirror location']);
  });

  it('accepts a draft from a form whose unused keys are present but undefined', () => {
    const draft = { from: 'quay.io', to: undefined, block: 'not here', fallback: undefined, name: undefined };
    const [rule] = configSchema.parse(withRule(draft)).rules;
    expect(rule).toEqual({ from: 'quay.io', enabled: true, block: 'not here' });
    expect(rule !== undefined && isBlockRule(rule)).toBe(true);
    expect(Object.keys(rule ?? {}).filter((key) => key === 'to' || key === 'fallback')).toEqual([]);
  });

  it('accepts its own output again (the app sends parsed configs back to be saved)', () => {
    const config = configSchema.parse(issueExample);
    const again = configSchema.parse(config);
    expect(again).toEqual(config);
    expect(sameConfig(again, config)).toBe(true);
  });

  it('rejects unknown keys at the top level and in rules, suggesting the likely key', () => {
    expect(issuesOf({ version: 1, rule: [] })).toEqual(['rule: is not a known key: did you mean rules?']);
    expect(issuesOf(withRule({ from: 'ghcr.io', to: 'localhost:5000', fallbak: false }))).toEqual([
      'rules.0.fallbak: is not a known key: did you mean fallback?',
    ]);
    expect(issuesOf({ version: 1, colour: 'blue' })).toEqual([
      'colour: is not a known key; the keys allowed here are version, enabled, listen, group, upstream, notifications, rules, cache',
    ]);
  });

  it('rejects wrong types, saying what was expected and what was found', () => {
    expect(issuesOf({ version: 1, enabled: 'yes' })).toEqual(['enabled: must be true or false, not "yes"']);
    expect(issuesOf({ version: 1, rules: { from: 'ghcr.io' } })).toEqual(['rules: must be a list, not a mapping']);
    expect(issuesOf(withRule({ from: 'ghcr.io', to: 'localhost:5000', name: 7 }))).toEqual(['rules.0.name: must be text, not 7']);
    expect(issuesOf(withRule({ from: 'ghcr.io', to: ['localhost:5000', 5] }))).toEqual(['rules.0.to.1: must be text, not 5']);
    expect(issuesOf(withRule({ from: 'ghcr.io', to: 5 }))).toEqual([
      'rules.0.to: must be a registry location such as localhost:5000, or a list of them',
    ]);
    expect(issuesOf(withRule({ to: 'localhost:5000' }))).toEqual(['rules.0.from: is required']);
    expect(issuesOf([])).toEqual([': the file must hold a mapping of settings, such as `version: 1`, not a list']);
  });

  it('requires version 1', () => {
    expect(issuesOf({ rules: [] })).toEqual(['version: is required: start the file with `version: 1`']);
    expect(issuesOf({ version: 2 })).toEqual(['version: must be 1, the only config format version this release understands']);
  });

  it.each([
    'ghcr.io',
    'localhost',
    'localhost:5000',
    'docker.io/library',
    'registry.example.com:5000/team/app',
    '*.example.com',
    '*.example.com/team',
    '[::1]:5000',
    'Registry/team',
  ])('accepts the prefix %s', (from) => {
    expect(validateConfig(withRule({ from, block: 'no' })).ok).toBe(true);
  });

  it.each([
    ['https://ghcr.io', 'must not start with https://: write just the registry, such as ghcr.io'],
    ['docker.io/library/ubuntu:18.04', 'must not include a tag or digest: a registry prefix names a registry or a repository path, such as docker.io/library'],
    ['docker.io/library/ubuntu@sha256:abcd', 'must not include a tag or digest: a registry prefix names a registry or a repository path, such as docker.io/library'],
    ['ubuntu', 'starts with "ubuntu", which is not a registry domain (no dot, no port, not localhost): write the full prefix, such as docker.io/library/ubuntu'],
    ['bitnami/redis', 'starts with "bitnami", which is not a registry domain (no dot, no port, not localhost): write the full prefix, such as docker.io/bitnami/redis'],
    ['docker.io/Library', 'has uppercase letters in its path: repository paths are lowercase'],
    ['docker.io/', 'must not end with a slash'],
    ['', 'must not be empty: write a registry prefix such as docker.io/library'],
    ['foo.*.com', 'may use a wildcard only as `*.` at the start, as in *.example.com'],
    ['*example.com', 'may use a wildcard only as `*.` at the start, as in *.example.com'],
    ['docker.io//library', 'must be a registry prefix such as docker.io/library, ghcr.io, localhost:5000 or *.example.com'],
    ['exa mple.com', 'must be a registry prefix such as docker.io/library, ghcr.io, localhost:5000 or *.example.com'],
  ])('rejects the prefix %j', (from, message) => {
    expect(issuesOf(withRule({ from, block: 'no' }))).toEqual([`rules.0.from: ${message}`]);
  });

  it.each([
    ['*.mirror.example.com', 'cannot contain a wildcard: a mirror is one registry location'],
    ['mirror', 'starts with "mirror", which is not a registry domain (no dot, no port, not localhost), so Docker would read it as a Docker Hub repository: write a host such as mirror:5000'],
    ['localhost:5000/hub:latest', 'must not include a tag or digest: a mirror location names a registry or a repository path, such as localhost:5000'],
    ['https://mirror.example.com/', 'must not start with https://: write just the registry, such as mirror.example.com'],
    ['', 'must not be empty: write a mirror location such as localhost:5000'],
  ])('rejects the mirror location %j', (to, message) => {
    expect(issuesOf(withRule({ from: 'docker.io', to }))).toEqual([`rules.0.to: ${message}`]);
  });

  it('checks the length of a huge prefix before matching it against a pattern', () => {
    const huge = `${'a'.repeat(10_000_000)}.example.com`;
    expect(issuesOf(withRule({ from: huge, block: 'no' }))).toEqual([
      `rules.0.from: is ${huge.length} characters long; a registry prefix is at most 255`,
    ]);
  });

  it('says clearly when a rule has both `to` and `block`, or neither', () => {
    expect(issuesOf(withRule({ from: 'quay.io', to: 'localhost:5000', block: 'no' }))).toEqual([
      'rules.0: has both `to` and `block`: a rule either redirects pulls to mirrors (`to`) or blocks them (`block`), not both',
    ]);
    expect(issuesOf(withRule({ from: 'quay.io' }))).toEqual([
      'rules.0: needs either `to` (the mirror locations to pull from) or `block` (a message saying why pulls are blocked)',
    ]);
  });

  it('rejects mirror settings on a rule that blocks', () => {
    expect(issuesOf(withRule({ from: 'quay.io', block: 'no', fallback: false, retag: true }))).toEqual([
      'rules.0.fallback: applies only to mirror rules (with `to`), not to a rule that blocks',
      'rules.0.retag: applies only to mirror rules (with `to`), not to a rule that blocks',
    ]);
    expect(issuesOf(withRule({ from: 'quay.io', block: '' }))).toEqual(['rules.0.block: must not be empty: say why pulls are blocked']);
  });

  it('accepts only auto or a Docker engine address as the upstream', () => {
    for (const upstream of ['auto', 'unix:///var/run/docker.sock', 'tcp://127.0.0.1:2375', 'npipe:////./pipe/docker_engine']) {
      expect(validateConfig({ version: 1, upstream }).ok).toBe(true);
    }
    expect(issuesOf({ version: 1, upstream: '/var/run/docker.sock' })).toEqual([
      'upstream: must be auto or a Docker engine address such as unix:///var/run/docker.sock or tcp://127.0.0.1:2375',
    ]);
  });

  it('tells configs apart by what they say, not by key order', () => {
    const a: Config = configSchema.parse(issueExample);
    const reverseKeys = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).reverse()) as T;
    const reordered = reverseKeys({ ...a, rules: a.rules.map(reverseKeys) });
    expect(Object.keys(reordered)[0]).toBe('cache');
    expect(sameConfig(a, reordered)).toBe(true);
    expect(sameConfig(a, { ...a, enabled: false })).toBe(false);
    expect(sameConfig(a, { ...a, rules: a.rules.slice(1) })).toBe(false);
  });
});
