// Classifies a Docker Engine API request by method and path (with or without `/vX.Y`):
// its route name for the log, the image it names, and whether the engine hijacks the
// connection. Pure; never looks at bodies.
import { decodeOrKeep } from './uri';
import type { RouteName } from '#shared/log';

export interface RouteInfo {
  route: RouteName;
  /** `1.41` when the path had a `/v1.41` prefix. */
  apiVersion?: string;
  /** The path without the version prefix and query, e.g. `/images/create`. */
  path: string;
  query: URLSearchParams;
  /** The image reference the request names, as the client wrote it. */
  image?: string;
  /** The engine takes over the connection after the head (attach, exec start, BuildKit). */
  hijack: boolean;
}

const VERSION_PREFIX = /^\/v(\d+(?:\.\d+)*)(?=\/)/;
/** Shared by every request without a query; readers copy before changing a query. */
const NO_QUERY: URLSearchParams = new URLSearchParams();

type Rule = [method: string | null, pattern: RegExp, route: RouteName, image?: (m: RegExpExecArray, q: URLSearchParams) => string | undefined];

const imageFromPath = (m: RegExpExecArray) => decodeOrKeep(m[1]!);

// Order matters: the first match wins. `{name}` segments may contain raw '/', ':' and '@'.
const RULES: Rule[] = [
  [null, /^\/_ping$/, 'ping'],
  ['GET', /^\/version$/, 'version'],
  ['GET', /^\/info$/, 'info'],
  ['GET', /^\/events$/, 'events'],
  ['POST', /^\/auth$/, 'auth'],
  ['GET', /^\/system\/df$/, 'system df'],
  ['POST', /^\/images\/create$/, 'pull', (_m, q) => imageOfCreate(q)],
  ['POST', /^\/images\/load$/, 'load images'],
  ['GET', /^\/images\/get$/, 'save images', (_m, q) => q.getAll('names').join(', ') || undefined],
  ['GET', /^\/images\/json$/, 'list images'],
  ['GET', /^\/images\/search$/, 'search images', (_m, q) => q.get('term') ?? undefined],
  ['POST', /^\/images\/prune$/, 'prune images'],
  ['POST', /^\/images\/(.+)\/push$/, 'push', imageFromPath],
  ['POST', /^\/images\/(.+)\/tag$/, 'tag', imageFromPath],
  ['GET', /^\/images\/(.+)\/json$/, 'inspect image', imageFromPath],
  ['GET', /^\/images\/(.+)\/history$/, 'image history', imageFromPath],
  ['GET', /^\/images\/(.+)\/get$/, 'save images', imageFromPath],
  ['DELETE', /^\/images\/(.+)$/, 'remove image', imageFromPath],
  ['POST', /^\/build$/, 'build', (_m, q) => q.getAll('t').join(', ') || undefined],
  ['POST', /^\/session$/, 'build session'],
  ['POST', /^\/grpc$/, 'grpc'],
  ['POST', /^\/commit$/, 'commit'],
  ['POST', /^\/containers\/create$/, 'create container'],
  ['GET', /^\/containers\/json$/, 'list containers'],
  ['GET', /^\/containers\/[^/]+\/json$/, 'inspect container'],
  ['POST', /^\/containers\/[^/]+\/start$/, 'start'],
  ['POST', /^\/containers\/[^/]+\/stop$/, 'stop'],
  ['POST', /^\/containers\/[^/]+\/restart$/, 'restart'],
  ['POST', /^\/containers\/[^/]+\/kill$/, 'kill'],
  ['POST', /^\/containers\/[^/]+\/wait$/, 'wait'],
  ['DELETE', /^\/containers\/[^/]+$/, 'remove container'],
  ['GET', /^\/containers\/[^/]+\/logs$/, 'logs'],
  ['GET', /^\/containers\/[^/]+\/stats$/, 'stats'],
  ['POST', /^\/containers\/[^/]+\/attach$/, 'attach'],
  ['GET', /^\/containers\/[^/]+\/attach\/ws$/, 'attach'],
  ['POST', /^\/containers\/[^/]+\/resize$/, 'resize'],
  ['GET', /^\/containers\/[^/]+\/top$/, 'top'],
  ['POST', /^\/containers\/[^/]+\/exec$/, 'exec create'],
  ['POST', /^\/exec\/[^/]+\/start$/, 'exec'],
  ['POST', /^\/exec\/[^/]+\/resize$/, 'resize'],
  ['GET', /^\/exec\/[^/]+\/json$/, 'exec inspect'],
  [null, /^\/containers\//, 'container other'],
  [null, /^\/networks(\/|$)/, 'network'],
  [null, /^\/volumes(\/|$)/, 'volume'],
  [null, /^\/(swarm|nodes|tasks|secrets|configs)(\/|$)/, 'swarm'],
  [null, /^\/services(\/|$)/, 'service'],
  [null, /^\/plugins(\/|$)/, 'plugin'],
  ['GET', /^\/distribution\/(.+)\/json$/, 'distribution', imageFromPath],
];

/** Routes the engine hijacks even without an Upgrade header (old clients get 200 + raw stream). */
const HIJACKED: ReadonlySet<RouteName> = new Set(['attach', 'exec', 'build session', 'grpc']);

export function classifyRoute(method: string, target: string): RouteInfo {
  const q = target.indexOf('?');
  let path = q === -1 ? target : target.slice(0, q);
  const search = q === -1 ? null : target.slice(q + 1);
  let apiVersion: string | undefined;
  const version = VERSION_PREFIX.exec(path);
  if (version) {
    apiVersion = version[1];
    path = path.slice(version[0].length);
  }
  for (const [m, pattern, route, image] of RULES) {
    if (m !== null && m !== method) continue;
    if (!pattern.test(path)) continue;
    const info = new ClassifiedRoute(route, apiVersion, path, search, isHijack(route, path));
    if (image) info.image = image(pattern.exec(path)!, info.query);
    return info;
  }
  return new ClassifiedRoute('other', apiVersion, path, search, false);
}

/** A classified request: its query is parsed when first read (most requests never need it). */
class ClassifiedRoute implements RouteInfo {
  image?: string;
  private parsed: URLSearchParams | null = null;

  constructor(
    readonly route: RouteName,
    readonly apiVersion: string | undefined,
    readonly path: string,
    /** What follows the `?`, null without one. */
    private readonly search: string | null,
    readonly hijack: boolean,
  ) {}

  get query(): URLSearchParams {
    return (this.parsed ??= this.search === null ? NO_QUERY : new URLSearchParams(this.search));
  }
}

function isHijack(route: RouteName, path: string): boolean {
  // `/attach/ws` is a websocket and arrives with an Upgrade header like any other upgrade.
  return HIJACKED.has(route) && !path.endsWith('/attach/ws');
}

function imageOfCreate(q: URLSearchParams): string | undefined {
  const from = q.get('fromImage');
  if (!from) return q.get('repo') || undefined;
  const tag = q.get('tag');
  if (!tag) return from;
  return tag.includes(':') ? `${from}@${tag}` : `${from}:${tag}`;
}

