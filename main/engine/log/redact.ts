// Removes secrets from what the log keeps, at the source, before any printer, file or UI
// sees it: registry credentials, Authorization, build args. Never logs a body.
import { decodeOrKeep } from '../proxy/uri';
import { REDACTED } from '../../../shared/log';
import type { Headers } from '../proxy/http-stream';

const SECRET_HEADERS = new Set(['x-registry-auth', 'x-registry-config', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
// Query parameters that carry secrets: build args often hold tokens; the rest by name.
const SECRET_PARAM = /^(buildargs|password|passwd|secret|token|auth|credentials?)$/i;

/** The headers with secret values replaced; the same array when there is nothing to replace. */
export function redactHeaders(headers: Headers): Headers {
  if (!headers.some(([k]) => SECRET_HEADERS.has(k.toLowerCase()))) return headers;
  return headers.map(([k, v]) => [k, SECRET_HEADERS.has(k.toLowerCase()) ? REDACTED : v]);
}

/** The request target with secret query values replaced; untouched when there are none. */
export function redactTarget(target: string): string {
  const q = target.indexOf('?');
  if (q === -1) return target;
  const params = target.slice(q + 1).split('&');
  let changed = false;
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    const eq = p.indexOf('=');
    const name = decodeOrKeep(eq === -1 ? p : p.slice(0, eq));
    if (eq !== -1 && SECRET_PARAM.test(name)) {
      params[i] = `${p.slice(0, eq)}=${encodeURIComponent(REDACTED)}`;
      changed = true;
    }
  }
  return changed ? `${target.slice(0, q)}?${params.join('&')}` : target;
}

/** Replaces every occurrence of known secret values in free text (error messages from registries). */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join(REDACTED);
  return out;
}

