// Finds the Docker engine docker-caching fronts, from a flag, the config, DOCKER_HOST, the
// docker context that was current before ours, or a well-known socket, skipping our own
// socket. One place, so `serve` and the `cache` command cannot pick different engines.
import { statSync } from 'node:fs';
import { contextStatePath, upstreamContextEndpoint } from './docker-context';
import { discoverUpstream, type DiscoveredUpstream } from './upstream';

export interface FindEngineInput {
  flag?: string;
  configured: string;
  configPath: string;
  ownSocket: string;
  env: NodeJS.ProcessEnv;
  home: string;
}

export function findEngine({ flag, configured, configPath, ownSocket, env, home }: FindEngineInput): DiscoveredUpstream {
  return discoverUpstream({
    flag, configured, env, home, platform: process.platform, ownSocket,
    isSocket: (p) => {
      try {
        return statSync(p).isSocket();
      } catch {
        return false;
      }
    },
    // While our own context is current, the engine is the one it replaced.
    currentContext: () => upstreamContextEndpoint({ env, home, statePath: contextStatePath(configPath) }),
  });
}
