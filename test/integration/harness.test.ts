import { describe, expect, inject, it } from 'vitest';
import { docker, importBusyboxImage } from '../harness/real-docker';

describe('test harness', () => {
  it('runs a real dockerd that can push to and pull from the private registries', () => {
    const host = inject('dockerHost');
    const mirror = inject('mirror');
    expect(docker(host, ['version', '--format', '{{.Server.Version}}']).trim()).toMatch(inject('engineKind') === 'classic' ? /^20\./ : /^26\./);
    importBusyboxImage(host, `${mirror}/library/harness:1`);
    docker(host, ['push', `${mirror}/library/harness:1`]);
    docker(host, ['rmi', `${mirror}/library/harness:1`]);
    docker(host, ['pull', `${mirror}/library/harness:1`]);
    expect(docker(host, ['run', '--rm', '--network', 'none', `${mirror}/library/harness:1`, 'cat', '/marker']).trim()).toBe(`${mirror}/library/harness:1`);
  });
});
