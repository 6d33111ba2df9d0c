// Removes secrets from what the log keeps and what the pull rewrite streams, at the source,
// before any printer, file, UI or client sees it: registry credentials in every form a
// registry could echo them, Authorization, build args, userinfo in URLs. Never logs a body.
import { decodeOrKeep } from '../proxy/uri';
import { REDACTED } from '#shared/log';
import type { Headers } from '../proxy/http-stream';

const SECRET_HEADERS = new Set(['x-registry-auth', 'x-registry-config', 'authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
// Query parameters that carry secrets: build args often hold tokens; the rest by name.
const SECRET_PARAM = /^(buildargs|password|passwd|secret|token|auth|credentials?)$/i;

/** Lengths of the secret header names: other names are not lower-cased to be looked up. */
const SECRET_HEADER_LENGTHS = new Set([...SECRET_HEADERS].map((name) => name.length));

const isSecretHeader = (name: string) => SECRET_HEADER_LENGTHS.has(name.length) && SECRET_HEADERS.has(name.toLowerCase());

/** The headers with secret values replaced; the same array when there is nothing to replace. */
export function redactHeaders(headers: Headers): Headers {
  if (!hasSecretHeader(headers)) return headers;
  return headers.map(([k, v]) => [k, isSecretHeader(k) ? REDACTED : v]);
}

function hasSecretHeader(headers: Headers): boolean {
  for (const [k] of headers) if (isSecretHeader(k)) return true;
  return false;
}

// `scheme://user:password@host`: whatever comes before the @ of a URL's authority.
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/gi;

/** `text` with the userinfo of every URL in it replaced (`https://<redacted>@host/…`). */
export function stripUserinfo(text: string): string {
  return text.replace(URL_USERINFO, `$1${REDACTED}@`);
}

/**
 * A query none of whose parameters could be redacted: no secret name (encoded, it would hold a
 * `%`) and no URL with userinfo (that needs `://`, or its encoding, with a `%`).
 */
const MAY_HOLD_SECRET = /(?:^|&)(?:buildargs|password|passwd|secret|token|auth|credentials?)=|%|:\/\//i;

/**
 * The request target with secret query values replaced: by name (build args, tokens) and,
 * whatever the name, a URL's userinfo (`remote=https://user:token@…`, `fromSrc=…`).
 * Untouched when there are none.
 */
export function redactTarget(target: string): string {
  const q = target.indexOf('?');
  if (q === -1 || !MAY_HOLD_SECRET.test(target.slice(q + 1))) return target;
  const params = target.slice(q + 1).split('&');
  let changed = false;
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    const eq = p.indexOf('=');
    if (eq === -1) continue;
    const name = decodeOrKeep(p.slice(0, eq));
    if (SECRET_PARAM.test(name)) {
      params[i] = `${p.slice(0, eq)}=${encodeURIComponent(REDACTED)}`;
      changed = true;
      continue;
    }
    const value = decodeOrKeep(p.slice(eq + 1).replace(/\+/g, ' '));
    const stripped = stripUserinfo(value);
    if (stripped !== value) {
      params[i] = `${p.slice(0, eq)}=${encodeURIComponent(stripped)}`;
      changed = true;
    }
  }
  return changed ? `${target.slice(0, q)}?${params.join('&')}` : target;
}

/** The credential fields of an X-Registry-Auth or a config.json entry. */
export interface CredentialFields {
  username?: unknown;
  password?: unknown;
  auth?: unknown;
  identitytoken?: unknown;
  registrytoken?: unknown;
}

const base64Forms = (text: string): string[] => {
  const std = Buffer.from(text, 'utf8').toString('base64');
  const url = std.replace(/\+/g, '-').replace(/\//g, '_');
  return [std, url, std.replace(/=+$/, ''), url.replace(/=+$/, '')];
};

/**
 * Every form in which these credentials could come back in a registry's or the engine's
 * text: the raw header (base64url and base64), the bare password and tokens, `user:password`
 * and its base64 and base64url (what `Basic …` carries). A `Bearer …` carries a bare token.
 */
export function credentialForms(fields: CredentialFields | null, rawHeader?: string): string[] {
  const forms: string[] = [];
  if (rawHeader) forms.push(rawHeader, rawHeader.replace(/-/g, '+').replace(/_/g, '/'), rawHeader.replace(/=+$/, ''));
  if (!fields) return forms;
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const [username, password] = [text(fields.username), text(fields.password)];
  for (const token of [password, text(fields.identitytoken), text(fields.registrytoken), text(fields.auth)]) if (token) forms.push(token);
  const pair = text(fields.auth) ? Buffer.from(text(fields.auth)!, 'base64').toString('utf8') : username && password ? `${username}:${password}` : undefined;
  if (pair) {
    forms.push(pair, ...base64Forms(pair));
    const colon = pair.indexOf(':');
    if (colon > 0) forms.push(pair.slice(colon + 1));
  }
  return forms;
}

/** Replaces every occurrence of known secret values in free text (error messages from registries), longest first. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4 && out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** The secrets of one pull, gathered as credentials are handled; `redact` is applied to everything logged or streamed. */
export class PullSecrets {
  private forms: string[] = [];

  add(fields: CredentialFields | null, rawHeader?: string): void {
    const added = credentialForms(fields, rawHeader).filter((f) => f.length >= 4 && !this.forms.includes(f));
    if (added.length === 0) return;
    // Longest first, so a secret that contains another is replaced whole.
    this.forms = [...this.forms, ...added].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    return this.forms.length === 0 ? text : redactText(text, this.forms);
  }
}
