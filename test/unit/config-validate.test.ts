import { describe, expect, it } from 'vitest';
import { formatProblem, parseConfigText, platformFindings } from '#shared/config/validate';
import type { ConfigProblem } from '#shared/ipc';

function problemIn(text: string, file = 'config.yaml'): ConfigProblem {
  const result = parseConfigText(text, file);
  if (result.ok) throw new Error(`expected a problem in:\n${text}`);
  return result.problem;
}

describe('config file problems', () => {
  it('reads a valid file and keeps its document for later edits', () => {
    const result = parseConfigText('version: 1 # format\nrules:\n  - from: ghcr.io\n    to: localhost:5000\n', 'config.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.rules).toHaveLength(1);
    expect(result.doc.contents).not.toBeNull();
  });

  it('reads JSON, which is valid YAML', () => {
    const result = parseConfigText('{"version": 1, "rules": [{"from": "ghcr.io", "to": ["localhost:5000"]}]}', 'config.json');
    expect(result.ok && result.config.rules[0]).toMatchObject({ from: 'ghcr.io', to: ['localhost:5000'] });
  });

  it('names the line of a YAML syntax error', () => {
    const problem = problemIn('version: 1\nrules:\n  - from: ghcr.io\n    to: mirror: localhost:5000\n');
    expect(problem.file).toBe('config.yaml');
    expect(problem.line).toBe(4);
    expect(problem.message).toMatch(/^invalid YAML: /);
    expect(formatProblem(problem)).not.toContain('\n');
  });

  it('reports a key given twice as invalid YAML on the second one', () => {
    const problem = problemIn('version: 1\nenabled: true\nenabled: false\n');
    expect(formatProblem(problem)).toBe('config.yaml:3: invalid YAML: map keys must be unique');
  });

  it('names the line of an unknown key, at the key', () => {
    const text = ['version: 1', 'rules:', '  - from: ghcr.io', '    to: localhost:5000', '    fallbak:', '      false', ''].join('\n');
    expect(problemIn(text)).toMatchObject({ line: 5, column: 5, field: 'rules.0.fallbak' });
    expect(formatProblem(problemIn(text))).toBe('config.yaml:5: rules.0.fallbak: is not a known key: did you mean fallback?');
  });

  it('names the line of a wrong type, at the value', () => {
    const text = ['version: 1', 'rules:', '  - from: ghcr.io', '    to:', '      - localhost:5000', '      - 5000', ''].join('\n');
    expect(problemIn(text)).toMatchObject({ line: 6, field: 'rules.0.to.1', message: 'must be text, not 5000' });
    const flag = ['version: 1', 'enabled:', '  yes', ''].join('\n');
    expect(formatProblem(problemIn(flag))).toBe('config.yaml:3: enabled: must be true or false, not "yes"');
  });

  it('gives the one-line form with the file path as given', () => {
    const text = ['# mirrors', 'version: 1', '', 'rules:', '  - from: docker.io/library', '    # the local registry', '    to: localhost:5000/', ''].join('\n');
    const problem = problemIn(text, '/home/me/.config/docker-caching/config.yaml');
    expect(formatProblem(problem)).toBe('/home/me/.config/docker-caching/config.yaml:7: rules.0.to: must not end with a slash');
  });

  it('names the line of an invalid prefix', () => {
    const text = ['version: 1', 'rules:', '  - from: quay.io', '    block: no', '  - from: https://ghcr.io', '    to: localhost:5000', ''].join('\n');
    expect(formatProblem(problemIn(text))).toBe(
      'config.yaml:5: rules.1.from: must not start with https://: write just the registry, such as ghcr.io',
    );
  });

  it('points a missing key at the rule that lacks it', () => {
    const text = ['version: 1', 'rules:', '  - from: quay.io', '    block: no', '  - to: localhost:5000', ''].join('\n');
    expect(formatProblem(problemIn(text))).toBe('config.yaml:5: rules.1.from: is required');
  });

  it('points a rule with both `to` and `block` at the rule', () => {
    const text = ['version: 1', 'rules:', '  - name: confused', '    from: quay.io', '    to: localhost:5000', '    block: no', ''].join('\n');
    expect(problemIn(text)).toMatchObject({ line: 3, field: 'rules.0' });
  });

  it('says when the version is missing', () => {
    expect(formatProblem(problemIn('enabled: true\n'))).toBe('config.yaml:1: version: is required: start the file with `version: 1`');
  });

  it('says when the file is empty or is not a mapping', () => {
    expect(formatProblem(problemIn('# nothing yet\n'))).toBe('config.yaml: the file is empty: it needs at least `version: 1`');
    expect(formatProblem(problemIn('- version: 1\n'))).toBe(
      'config.yaml:1: the file must hold a mapping of settings, such as `version: 1`, not a list',
    );
  });

  it('says when the file holds more than one YAML document', () => {
    expect(problemIn('version: 1\n---\nversion: 1\n').message).toBe(
      'invalid YAML: the file holds more than one document (a second `---`), and a config file holds one',
    );
  });

  it('reports the problem that comes first in the file', () => {
    const text = ['version: 1', 'rules:', '  - from: ghcr.io', '    to: 5', 'enabled: maybe', 'extra: 1', ''].join('\n');
    expect(problemIn(text)).toMatchObject({ line: 4, field: 'rules.0.to' });
  });

  it('refuses a file that expands into too many aliases instead of hanging', () => {
    // Each level is ten copies of the one before: a "billion laughs" document.
    const anchor = (level: number) => String.fromCharCode(97 + level);
    const lines = ['version: 1', 'a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level <= 12; level++) {
      lines.push(`${anchor(level)}: &${anchor(level)} [${Array(10).fill(`*${anchor(level - 1)}`).join(', ')}]`);
    }
    const problem = problemIn(lines.join('\n'));
    expect(problem.message).toMatch(/^cannot expand the YAML: /);
  });

  it('formats a problem without a line or field', () => {
    expect(formatProblem({ file: 'c.yaml', message: 'cannot read the config file: permission denied (EACCES)' })).toBe(
      'c.yaml: cannot read the config file: permission denied (EACCES)',
    );
  });
});

describe('settings the platform cannot honour', () => {
  const withGroup = 'version: 1\n# members may use the socket\ngroup: docker\nrules: []\n';
  const file = 'C:\\Users\\me\\AppData\\Roaming\\docker-caching\\config.yaml';

  it('refuses a socket group on Windows as a config problem with its line', () => {
    const result = parseConfigText(withGroup, file, 'win32');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(formatProblem(result.problem)).toBe(
      `${file}:3: group: cannot be applied on Windows: the named pipe keeps Windows' default security descriptor (you, administrators and LocalSystem), since Node cannot set one; remove group`,
    );
  });

  it('accepts the group on Linux and macOS, and a Windows config without one', () => {
    for (const platform of ['linux', 'darwin']) expect(parseConfigText(withGroup, 'config.yaml', platform).ok).toBe(true);
    expect(parseConfigText('version: 1\nrules: []\n', file, 'win32').ok).toBe(true);
  });

  it('names only what the platform cannot do', () => {
    const parsed = parseConfigText(withGroup, 'config.yaml');
    if (!parsed.ok) throw new Error('expected a valid config');
    expect(platformFindings(parsed.config, 'win32').map((f) => f.path)).toEqual([['group']]);
    expect(platformFindings(parsed.config, 'linux')).toEqual([]);
  });
});
