// Who may talk to main and where pages may go: our own origin only, no navigation away, no
// new windows, every permission denied, external links only to an allow-list, in the browser.
// Never grants anything by default.

/** Our pages' origin in the app: a custom scheme registered as standard and secure. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'docker-caching';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Sites the app may open in the user's browser (https only). */
export const EXTERNAL_HOSTS: readonly string[] = ['github.com', 'docs.docker.com', 'hub.docker.com'];

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * Whether `url` is one of our pages. Compared by scheme and host (with port): `URL.origin`
 * is "null" for custom schemes.
 */
export function isAppUrl(url: string, appOrigin: string = APP_ORIGIN): boolean {
  const page = parse(url);
  const ours = parse(appOrigin);
  return page !== null && ours !== null && page.protocol === ours.protocol && page.host === ours.host && page.host !== '';
}

/** Whether the app may hand `url` to the user's browser. */
export function externalUrlAllowed(url: string): boolean {
  const target = parse(url);
  return target !== null && target.protocol === 'https:' && target.username === '' && target.password === '' && EXTERNAL_HOSTS.includes(target.hostname);
}

/** Thrown text when a page asks to open a site that is not on the list. */
export function externalUrlRefused(url: string): string {
  return `docker-caching only opens https links to ${EXTERNAL_HOSTS.join(', ')}; ${url} is not one of them: copy it into your browser instead`;
}

/** A navigation event as Electron hands it over (only the part we use). */
export interface Preventable {
  preventDefault(): void;
}

/**
 * The `will-navigate` / `will-redirect` listener: a page stays on our origin; an allowed
 * https link goes to the user's browser instead, anything else goes nowhere.
 */
export function navigationGuard(openExternal: (url: string) => void, appOrigin: string = APP_ORIGIN) {
  return (event: Preventable, url: string): void => {
    if (isAppUrl(url, appOrigin)) return;
    event.preventDefault();
    if (externalUrlAllowed(url)) openExternal(url);
  };
}

/** The `setWindowOpenHandler` handler: never a new window; allowed links open in the browser. */
export function windowOpenHandler(openExternal: (url: string) => void) {
  return ({ url }: { url: string }): { action: 'deny' } => {
    if (externalUrlAllowed(url)) openExternal(url);
    return { action: 'deny' };
  };
}

/** `session.setPermissionRequestHandler`: every request (camera, notifications, …) is refused. */
export function denyPermissionRequest(_contents: unknown, _permission: string, callback: (granted: boolean) => void): void {
  callback(false);
}

/** `session.setPermissionCheckHandler`: every check answers "not granted". */
export function denyPermissionCheck(): boolean {
  return false;
}

/** Exports are Blob downloads made by our own page; nothing else may download. */
export function downloadAllowed(url: string, appOrigin: string = APP_ORIGIN): boolean {
  return url.startsWith(`blob:${appOrigin}/`);
}
