// serve finds the engine the way docker does, and never picks its own socket or context.
import { describe, expect, inject, it } from 'vitest';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from '../harness/real-docker';
import { startServe } from '../harness/serve';

function writeContext(home: string, name: string, host: string) {
  const dir = join(home, '.docker/contexts/meta', createHash('sha256').update(name).digest('hex'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
}

describe('upstream discovery in serve', () => {
  it('uses the current docker context', async () => {
    const home = mkdtempSync(join(tmpdir(), 'dc-disc-'));
    writeContext(home, 'colima-like', `unix://${inject('dockerSocket')}`);
    writeFileSync(join(home, '.docker/config.json'), JSON.stringify({ currentContext: 'colima-like' }));
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
    writeContext(home, 'colima-like', `unix://${inject('dockerSocket')}`);
    writeContext(home, 'docker-caching', `unix://${own}`);
    writeFileSync(join(home, '.docker/config.json'), JSON.stringify({ currentContext: 'docker-caching', auths: {} }));
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
