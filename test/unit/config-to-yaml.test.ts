import { describe, expect, it } from 'vitest';
import type { Document } from 'yaml';
import { configSchema, sameConfig, type Config, type ConfigInput, type MirrorRule } from '#shared/config/schema';
import { configToYaml } from '#shared/config/to-yaml';
import { formatProblem, parseConfigText } from '#shared/config/validate';

const handWritten = `# docker-caching: where pulls go
version: 1
enabled: true                 # master switch (the tray toggle)
rules:
  - from: docker.io/library   # official images
    to: [localhost:5000]      # the local cache
    fallback: true            # then the original
    name: hub
  # nobody pulls from quay here
  - from: quay.io
    block: "pulls from quay.io are not allowed here"
  # GitHub's registry, through the team mirror
  - from: ghcr.io
    to:
      - mirror.example.com/ghcr   # primary
      - localhost:5001            # fallback mirror
# end of file
`;

function parse(text: string): { config: Config; doc: Document } {
  const result = parseConfigText(text, 'config.yaml');
  if (!result.ok) throw new Error(formatProblem(result.problem));
  return result;
}

function edit(config: Config, change: (draft: Config) => void): Config {
  const draft = structuredClone(config);
  change(draft);
  return configSchema.parse(draft);
}

function mirrorRule(config: Config, index: number): MirrorRule {
  const rule = config.rules[index];
  if (rule === undefined || !('to' in rule)) throw new Error(`rule ${index} is not a mirror rule`);
  return rule;
}

describe('writing a config as YAML', () => {
  it('changes only the edited value, keeping every comment, the key order and the quoting', () => {
    const { config, doc } = parse(handWritten);
    const text = configToYaml(edit(config, (c) => void (c.enabled = false)), doc);
    // The YAML library writes one space before a line comment and a blank line before the
    // document's last comment; everything else comes back as it was.
    const expected = handWritten
      .replace('enabled: true ', 'enabled: false')
      .replace(/(\S) {2,}#/g, '$1 #')
      .replace('\n# end of file', '\n\n# end of file');
    expect(text).toBe(expected);
  });

  it('moves a rule together with its comments when rules are reordered', () => {
    const { config, doc } = parse(handWritten);
    const text = configToYaml(edit(config, (c) => void c.rules.reverse()), doc);
    const ghcr = text.indexOf("# GitHub's registry, through the team mirror\n  - from: ghcr.io");
    const quay = text.indexOf('# nobody pulls from quay here\n  - from: quay.io');
    const hub = text.indexOf('- from: docker.io/library # official images');
    expect([ghcr, quay, hub].every((i) => i > 0)).toBe(true);
    expect(ghcr < quay && quay < hub).toBe(true);
    expect(sameConfig(parse(text).config, edit(config, (c) => void c.rules.reverse()))).toBe(true);
  });

  it('drops a deleted rule and its comment, and keeps the others', () => {
    const { config, doc } = parse(handWritten);
    const text = configToYaml(edit(config, (c) => void c.rules.splice(1, 1)), doc);
    expect(text).not.toContain('quay');
    expect(text).toContain("# GitHub's registry, through the team mirror");
    expect(text).toContain('- mirror.example.com/ghcr # primary');
  });

  it('keeps the comments of an edited rule whose prefix changed', () => {
    const { config, doc } = parse(handWritten);
    const text = configToYaml(edit(config, (c) => void (c.rules[2]!.from = 'ghcr.io/team')), doc);
    expect(text).toContain("# GitHub's registry, through the team mirror\n  - from: ghcr.io/team\n");
    expect(text).toContain('- localhost:5001 # fallback mirror');
  });

  it('writes a new rule without the settings that hold their defaults', () => {
    const { config, doc } = parse(handWritten);
    const added = edit(config, (c) => {
      c.rules.push(configSchema.parse({ version: 1, rules: [{ from: 'registry.k8s.io', to: 'localhost:5002', digestOnly: true }] }).rules[0]!);
    });
    const text = configToYaml(added, doc);
    expect(text.endsWith('  - from: registry.k8s.io\n    to: localhost:5002\n    digestOnly: true\n\n# end of file\n')).toBe(true);
  });

  it('turns one mirror into a one-line list when a second is added, and keeps a block list a block list', () => {
    const { config, doc } = parse(['version: 1', 'rules:', '  - from: ghcr.io', '    to: localhost:5000 # cache', ''].join('\n'));
    const two = edit(config, (c) => void mirrorRule(c, 0).to.push('localhost:5001'));
    expect(configToYaml(two, doc)).toContain('    to: [localhost:5000, localhost:5001] # cache\n');

    const block = parse(handWritten);
    const three = edit(block.config, (c) => void mirrorRule(c, 2).to.splice(1, 0, 'mirror2.example.com'));
    expect(configToYaml(three, block.doc)).toContain(
      '    to:\n      - mirror.example.com/ghcr # primary\n      - mirror2.example.com\n      - localhost:5001 # fallback mirror\n',
    );
  });

  it('inserts a missing top-level key in its usual place, not after the rules', () => {
    const { config, doc } = parse(['version: 1', 'rules: [] # none yet', ''].join('\n'));
    const text = configToYaml(edit(config, (c) => void (c.notifications = false)), doc);
    expect(text).toBe('version: 1\nnotifications: false\nrules: [] # none yet\n');
  });

  it('removes keys the config no longer has, and mirror settings when a rule turns into a block', () => {
    const { config, doc } = parse(handWritten);
    const changed = edit(config, (c) => {
      c.rules[0] = { from: 'docker.io/library', enabled: true, block: 'use the internal registry' };
    });
    const text = configToYaml(changed, doc);
    expect(text).toContain('  - from: docker.io/library # official images\n    block: use the internal registry\n');
    expect(text).not.toContain('fallback: true');
    expect(text).not.toContain('name: hub');
  });

  it('writes a fresh file when there is none, with the essentials and no defaults', () => {
    const config = configSchema.parse({ version: 1, rules: [{ from: 'docker.io/library', to: ['localhost:5000', 'mirror:5000'] }] });
    expect(configToYaml(config)).toBe('version: 1\nenabled: true\nrules:\n  - from: docker.io/library\n    to: [localhost:5000, mirror:5000]\n');
  });

  it.each<[string, ConfigInput]>([
    ['every setting', {
      version: 1, enabled: false, listen: '/run/user/1000/docker-caching.sock', upstream: 'unix:///var/run/docker.sock', notifications: false,
      rules: [
        { from: '*.example.com', to: ['[::1]:5000'], fallback: false, retag: false, keepMirrorTag: true, digestOnly: true, enabled: false, name: 'all: the "flags"' },
        { from: 'quay.io', block: 'no: really, #not here', name: 'yes' },
      ],
    }],
    ['strings YAML would read as other types', { version: 1, rules: [{ from: 'quay.io', block: 'true', name: '1.0' }, { from: 'ghcr.io', to: 'localhost:5000', name: 'null' }] }],
  ])('reads back as the same config: %s', (_label, input) => {
    const config = configSchema.parse(input);
    expect(sameConfig(parse(configToYaml(config)).config, config)).toBe(true);
    const base = parse(handWritten).doc;
    expect(sameConfig(parse(configToYaml(config, base)).config, config)).toBe(true);
  });

  it('never changes the document it was given', () => {
    const { config, doc } = parse(handWritten);
    configToYaml(edit(config, (c) => void (c.rules = [])), doc);
    expect(doc.toString()).toBe(parse(handWritten).doc.toString());
  });
});
