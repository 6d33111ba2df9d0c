// serve finds the engine the way docker does, and never picks its own socket or context.
import { describe, expect, inject, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from '../harness/real-docker';
import { startServe } from '../harness/serve';
import { useDockerContext, writeDockerContext } from '../harness/docker-contexts';

describe('upstream discovery in serve', () => {
  it('uses the current docker context', async () => {
    const home = mkdtempSync(join(tmpdir(), 'dc-disc-'));
    writeDockerContext(home, 'colima-like', `unix://${inject('dockerSocket')}`);
    useDockerContext(home, 'colima-like');
    const serve = await startServe({ home });
    try {
      expect(serve.stderr()).toContain(`engine: unix://${inject('dockerSocket')} (docker context "colima-like"`);
      expect(docker(serve.host, ['version', '--format', '{{.Server.Version}}']).trim()).toMatch(/^\d+\./);
    } finally {
      await serve.stop();
    }
  });

  it('while its own context is current, proxies to the context it replaced, never to itself', async () => {
    const home = mkdtempSync(join(tmpdir(), 'dc-disc-'));
    const own = join(home, 'run', 'docker.sock');
    writeDockerContext(home, 'colima-like', `unix://${inject('dockerSocket')}`);
    writeDockerContext(home, 'docker-caching', `unix://${own}`);
    useDockerContext(home, 'docker-caching');
    mkdirSync(join(home, '.config/docker-caching'), { recursive: true });
    writeFileSync(join(home, '.config/docker-caching/docker-context.json'), JSON.stringify({ previousContext: 'colima-like' }));
    const serve = await startServe({ home, config: join(home, '.config/docker-caching/config.yaml'), env: { DOCKER_HOST: `unix://${own}` } });
    try {
      expect(serve.stderr()).toContain(`engine: unix://${inject('dockerSocket')} (docker context "colima-like"`);
      expect(docker(serve.host, ['ps', '-q'])).toBeDefined();
    } finally {
      await serve.stop();
    }
  });
});
