// The engines the integration projects run on are what they claim to be: dockerd 20.10 with
// its classic image store, or dockerd 26.1 with the containerd image store (image ID = the
// manifest digest, pushes as OCI manifests), each pushing to and pulling from the registries.
import { describe, expect, inject, it } from 'vitest';
import { docker, importBusyboxImage } from '../harness/real-docker';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

describe('test harness', () => {
  it('runs a real dockerd of the project\'s kind that can push to and pull from the private registries', async () => {
    const host = inject('dockerHost');
    const mirror = inject('mirror');
    const containerd = inject('engineKind') === 'containerd';
    expect(docker(host, ['version', '--format', '{{.Server.Version}}']).trim()).toMatch(containerd ? /^26\.1\./ : /^20\.10\./);
    expect(docker(host, ['info', '--format', '{{.Driver}} {{json .DriverStatus}}']).trim())
      .toMatch(containerd ? /^\S+ .*io\.containerd\.snapshotter\.v1/ : /^vfs /);

    const ref = `${mirror}/library/harness:1`;
    importBusyboxImage(host, ref);
    const pushed = /digest: (sha256:[0-9a-f]{64})/.exec(docker(host, ['push', ref]))![1]!;
    const manifest = await fetch(`http://${mirror}/v2/library/harness/manifests/1`, { headers: { Accept: MANIFEST_TYPES } });
    expect(manifest.headers.get('docker-content-digest')).toBe(pushed);
    expect(((await manifest.json()) as { mediaType: string }).mediaType)
      .toBe(containerd ? 'application/vnd.oci.image.manifest.v1+json' : 'application/vnd.docker.distribution.manifest.v2+json');
    const id = docker(host, ['image', 'inspect', '--format', '{{.Id}}', ref]).trim();
    if (containerd) expect(id).toBe(pushed);
    else expect(id).not.toBe(pushed);

    docker(host, ['rmi', ref]);
    docker(host, ['pull', ref]);
    expect(docker(host, ['run', '--rm', '--network', 'none', ref, 'cat', '/marker']).trim()).toBe(ref);
    docker(host, ['rmi', ref]);
  });
});
