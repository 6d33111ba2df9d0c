// Writes docker contexts into a fake home the way the docker CLI stores them, for tests of
// upstream discovery.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { contextMetaPath } from '../../main/engine/upstream/docker-context';

export function writeDockerContext(home: string, name: string, host: string): void {
  const meta = contextMetaPath(join(home, '.docker'), name);
  mkdirSync(dirname(meta), { recursive: true });
  writeFileSync(meta, JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }));
}

export function useDockerContext(home: string, name: string): void {
  mkdirSync(join(home, '.docker'), { recursive: true });
  writeFileSync(join(home, '.docker/config.json'), JSON.stringify({ currentContext: name, auths: {} }));
}
