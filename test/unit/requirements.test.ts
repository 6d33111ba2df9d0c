// The check that fails a run naming what is missing, instead of shrinking a test matrix.
import { describe, expect, it } from 'vitest';
import { CLASSIC_ENGINE, DOCKER_CLIS, missing, requireAll } from '../harness/requirements';

describe('test requirements', () => {
  it('names each missing program or command with how to get it', () => {
    const reqs = [
      { name: 'a CLI that is not here', path: '/nonexistent/docker', install: 'apt-get install nothing' },
      { name: 'a module that is not here', command: ['python3', '-c', 'import no_such_module_here'] as [string, ...string[]], install: 'pip nothing' },
      { name: 'a shell', path: '/bin/sh', install: 'it is always there' },
    ];
    expect(missing(reqs)).toEqual([
      'a CLI that is not here (/nonexistent/docker): apt-get install nothing',
      'a module that is not here (python3 -c import no_such_module_here): pip nothing',
    ]);
    expect(() => requireAll(reqs)).toThrow(/a CLI that is not here .*\n.*a module that is not here/);
  });

  it('keeps both docker CLIs in the matrix and checks each of them', () => {
    expect(DOCKER_CLIS).toEqual(['/usr/local/bin/docker', '/usr/bin/docker']);
    for (const cli of DOCKER_CLIS) expect(CLASSIC_ENGINE.map((r) => r.path)).toContain(cli);
  });
});
