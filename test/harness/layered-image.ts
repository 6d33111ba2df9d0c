// Builds images of several layers without pulling anything: busybox, then one layer per file
// of random bytes (so each layer is its own blob), with the classic builder; or one more
// layer over an image already built. Tests of the cache's hit and miss count layers with them.
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker } from './real-docker';

/**
 * Builds `ref` in the engine at `host`: FROM `base` (or busybox on scratch), then one COPY
 * per entry of `layers` (file name -> size in bytes of random content). Returns `ref`.
 */
export function buildLayeredImage(host: string, ref: string, layers: Record<string, number>, base?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dc-layers-'));
  try {
    const lines = [`FROM ${base ?? 'scratch'}`];
    if (!base) {
      mkdirSync(join(dir, 'bin'));
      cpSync('/bin/busybox', join(dir, 'bin', 'busybox'));
      symlinkSync('busybox', join(dir, 'bin', 'sh'));
      lines.push('COPY bin /bin', 'CMD ["/bin/busybox", "sh"]');
    }
    for (const [name, size] of Object.entries(layers)) {
      writeFileSync(join(dir, name), randomBytes(size));
      lines.push(`COPY ${name} /${name}`);
    }
    writeFileSync(join(dir, 'Dockerfile'), lines.join('\n') + '\n');
    docker(host, ['build', '-q', '-t', ref, dir], { env: { DOCKER_BUILDKIT: '0' } });
    return ref;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
