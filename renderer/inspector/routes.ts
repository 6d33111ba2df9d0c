// Every route name, as a list the endpoint filter offers (the type lives in shared/log.ts).
import type { RouteName } from '../../shared/log';

export const routeNames = [
  'pull', 'push', 'tag', 'import', 'list images', 'inspect image', 'image history', 'remove image', 'save images',
  'load images', 'search images', 'prune images', 'build', 'build session', 'grpc', 'commit',
  'create container', 'list containers', 'inspect container', 'start', 'stop', 'restart', 'kill', 'wait',
  'remove container', 'logs', 'stats', 'attach', 'resize', 'top', 'exec create', 'exec', 'exec inspect', 'container other',
  'ping', 'version', 'info', 'events', 'auth', 'system df', 'network', 'volume', 'swarm', 'service', 'plugin', 'distribution', 'other',
] as const satisfies readonly RouteName[];

// Fails to compile when shared/log.ts gains a route this list lacks.
type Missing = Exclude<RouteName, (typeof routeNames)[number]>;
export const allRoutesListed: [Missing] extends [never] ? true : Missing = true;
