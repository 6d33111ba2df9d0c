// Serves the built renderer (dist/renderer) to our pages, with a strict Content-Security-Policy
// on every response: used by the app:// protocol handler and by the browser test harness.
// Never serves a file outside the renderer folder.
import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

/** No inline or remote script, no eval, no frames, no plugins; styles may be inline (React style attributes, CSS-in-JS). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(file: string): string {
  return contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file under `root` that a page URL names (`/` is `index.html`), or null when the path
 * escapes the root or is not a plain file path.
 */
export function resolveAppFile(root: string, url: string): string | null {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url).pathname);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  const relative = pathname === '/' || pathname === '' ? 'index.html' : pathname.replace(/^\/+/, '');
  const base = resolve(root);
  const file = resolve(base, relative);
  return file.startsWith(base + sep) ? file : null;
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const securityHeaders = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** Reads the file a page URL names from the renderer folder, as a response with our security headers. */
export async function serveAppFile(root: string, url: string): Promise<AppResponse> {
  const file = resolveAppFile(root, url);
  if (file === null) return notFound(`refused ${url}: it points outside the app's files`);
  try {
    const body = await readFile(file);
    return { status: 200, headers: { ...securityHeaders, 'Content-Type': contentTypeFor(file) }, body };
  } catch {
    return notFound(`${url} is not part of the app's files`);
  }
}

function notFound(message: string): AppResponse {
  return { status: 404, headers: { ...securityHeaders, 'Content-Type': 'text/plain; charset=utf-8' }, body: Buffer.from(message) };
}
