// Builds, without pulling anything, an image with registry:2's layout from Debian's
// `docker-registry` binary: /bin/registry, the libraries it links (ldd), busybox for the
// shell registry:2's Alpine base has, the default config at /etc/docker/registry/config.yml,
// storage at /var/lib/registry, port 5000, `registry serve` by default. The local cache's
// tests set `cache.image` to it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const REGISTRY_BINARY = '/usr/bin/docker-registry';
const BUSYBOX = '/bin/busybox';

// registry:2's own /etc/docker/registry/config.yml.
const DEFAULT_CONFIG = `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`;

/** Builds the image as `name` in the engine at `host` (a `unix://` address); returns `name`. */
export function buildRegistryImage(host: string, name: string): string {
  for (const needed of [REGISTRY_BINARY, BUSYBOX]) {
    if (!existsSync(needed)) throw new Error(`${needed} is missing: apt-get install docker-registry busybox-static`);
  }
  const root = mkdtempSync(join(tmpdir(), 'dc-registry-image-'));
  try {
    const copy = (from: string, to: string) => {
      mkdirSync(join(root, dirname(to)), { recursive: true });
      // The file a link (or a linked folder, as /lib64) leads to; Node 24's cpSync takes
      // /lib64/ld-linux-x86-64.so.2 for a folder when asked to dereference.
      copyFileSync(realpathSync(from), join(root, to));
    };
    copy(REGISTRY_BINARY, '/bin/registry');
    for (const lib of linkedLibraries(REGISTRY_BINARY)) copy(lib, lib);
    copy(BUSYBOX, '/bin/busybox');
    for (const applet of ['sh', 'rm', 'du', 'ls', 'cat', 'mkdir']) symlinkSync('busybox', join(root, 'bin', applet));
    mkdirSync(join(root, 'etc/docker/registry'), { recursive: true });
    writeFileSync(join(root, 'etc/docker/registry/config.yml'), DEFAULT_CONFIG);
    mkdirSync(join(root, 'var/lib/registry'), { recursive: true });
    mkdirSync(join(root, 'tmp'), { recursive: true });
    const tar = execFileSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 256 * 1024 * 1024 });
    execFileSync('/usr/local/bin/docker', [
      'import',
      '-c', 'ENV PATH=/bin',
      '-c', 'VOLUME ["/var/lib/registry"]',
      '-c', 'EXPOSE 5000',
      '-c', 'ENTRYPOINT ["registry"]',
      '-c', 'CMD ["serve", "/etc/docker/registry/config.yml"]',
      '-', name,
    ], { input: tar, env: { ...process.env, DOCKER_HOST: host }, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 16 * 1024 * 1024 });
    return name;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The shared libraries `binary` loads, as ldd lists them (absolute paths only). */
function linkedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary]).toString();
  return [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!).filter((p) => existsSync(p));
}
