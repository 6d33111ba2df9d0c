import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY, resolveAppFile, serveAppFile } from '../../main/shell/app-protocol';
import {
  denyPermissionCheck, denyPermissionRequest, externalUrlAllowed, isAppUrl, navigationGuard, windowOpenHandler,
} from '../../main/shell/security';

describe('page origin', () => {
  it('accepts only our own app:// pages', () => {
    expect(isAppUrl('app://docker-caching/index.html')).toBe(true);
    expect(isAppUrl('app://docker-caching/index.html#rules')).toBe(true);
    for (const url of ['app://evil/index.html', 'https://docker-caching/', 'file:///index.html', 'about:blank', '', 'not a url']) {
      expect(isAppUrl(url), url).toBe(false);
    }
  });

  it('compares host and port for an http origin (the browser test harness)', () => {
    expect(isAppUrl('http://127.0.0.1:4000/index.html', 'http://127.0.0.1:4000')).toBe(true);
    expect(isAppUrl('http://127.0.0.1:4001/index.html', 'http://127.0.0.1:4000')).toBe(false);
    expect(isAppUrl('https://127.0.0.1:4000/', 'http://127.0.0.1:4000')).toBe(false);
  });
});

describe('navigation, new windows and permissions', () => {
  it('keeps pages on our origin and sends allowed https links to the browser', () => {
    const openExternal = vi.fn();
    const guard = navigationGuard(openExternal);
    const event = () => ({ preventDefault: vi.fn() });

    const reload = event();
    guard(reload, 'app://docker-caching/index.html');
    expect(reload.preventDefault).not.toHaveBeenCalled();

    const docs = event();
    guard(docs, 'https://docs.docker.com/engine/');
    expect(docs.preventDefault).toHaveBeenCalled();
    expect(openExternal).toHaveBeenCalledWith('https://docs.docker.com/engine/');

    const evil = event();
    guard(evil, 'https://evil.example/phish');
    expect(evil.preventDefault).toHaveBeenCalled();
    expect(openExternal).toHaveBeenCalledTimes(1);
  });

  it('never opens a new window', () => {
    const openExternal = vi.fn();
    const handler = windowOpenHandler(openExternal);
    expect(handler({ url: 'https://github.com/x/y' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'app://docker-caching/index.html' })).toEqual({ action: 'deny' });
    expect(handler({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(openExternal.mock.calls).toEqual([['https://github.com/x/y']]);
  });

  it('allows external links only over https to listed hosts, without credentials', () => {
    expect(externalUrlAllowed('https://github.com/docker/cli')).toBe(true);
    expect(externalUrlAllowed('https://hub.docker.com/_/ubuntu')).toBe(true);
    expect(externalUrlAllowed('http://github.com/')).toBe(false);
    expect(externalUrlAllowed('https://github.com.evil.example/')).toBe(false);
    expect(externalUrlAllowed('https://user:pw@github.com/')).toBe(false);
    expect(externalUrlAllowed('file:///etc/passwd')).toBe(false);
    expect(externalUrlAllowed('ms-settings:')).toBe(false);
  });

  it('denies every permission request and check', () => {
    const callback = vi.fn();
    for (const permission of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal']) {
      denyPermissionRequest({}, permission, callback);
    }
    expect(callback.mock.calls).toEqual(Array(5).fill([false]));
    expect(denyPermissionCheck()).toBe(false);
  });
});

describe('app protocol', () => {
  const root = join(mkdtempSync(join(tmpdir(), 'dc-app-')), 'renderer');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>docker-caching</title>');
  writeFileSync(join(root, 'index.js'), 'console.log(1)');
  writeFileSync(join(root, 'assets', 'logo.svg'), '<svg/>');
  writeFileSync(join(root, '..', 'secret.txt'), 'secret');

  it('maps page URLs to files under the renderer folder only', () => {
    expect(resolveAppFile(root, 'app://docker-caching/')).toBe(join(root, 'index.html'));
    expect(resolveAppFile(root, 'app://docker-caching/assets/logo.svg?v=1#x')).toBe(join(root, 'assets', 'logo.svg'));
    // The URL parser already folds dot segments, so these stay inside the folder.
    expect(resolveAppFile(root, 'app://docker-caching/../secret.txt')).toBe(join(root, 'secret.txt'));
    expect(resolveAppFile(root, 'app://docker-caching/%2e%2e/secret.txt')).toBe(join(root, 'secret.txt'));
    // Encoded separators decode after parsing: refused.
    expect(resolveAppFile(root, 'app://docker-caching/..%2fsecret.txt')).toBeNull();
    expect(resolveAppFile(root, 'app://docker-caching/..%5csecret.txt')).toBeNull();
    expect(resolveAppFile(root, 'app://docker-caching/x%00.html')).toBeNull();
  });

  it('serves files with their type and the strict CSP, and 404s for anything else', async () => {
    const page = await serveAppFile(root, 'app://docker-caching/index.html');
    expect(page.status).toBe(200);
    expect(page.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(page.headers['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.body.toString()).toContain('<title>docker-caching</title>');
    expect((await serveAppFile(root, 'app://docker-caching/index.js')).headers['Content-Type']).toBe('text/javascript; charset=utf-8');
    const escape = await serveAppFile(root, 'app://docker-caching/..%2fsecret.txt');
    expect(escape.status).toBe(404);
    expect(escape.body.toString()).toMatch(/^refused .*: it points outside the app's files$/);
    expect((await serveAppFile(root, 'app://docker-caching/../secret.txt')).status).toBe(404);
    expect((await serveAppFile(root, 'app://docker-caching/missing.js')).status).toBe(404);
  });

  it('allows no inline or remote script, no eval, no frames', () => {
    const directives = Object.fromEntries(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/);
  });
});

describe('downloads and unsaved changes', () => {
  it('allows only Blob downloads made by our own page (the exports)', async () => {
    const { downloadAllowed } = await import('../../main/shell/security');
    expect(downloadAllowed('blob:app://docker-caching/4f1c2a')).toBe(true);
    expect(downloadAllowed('https://example.com/file.tar')).toBe(false);
    expect(downloadAllowed('blob:https://evil.example/x')).toBe(false);
  });

  it('unloads a page with unsaved rule changes only when the user discards them', async () => {
    const { settleUnload, discardChangesDialog } = await import('../../main/shell/unsaved-changes');
    expect(discardChangesDialog.buttons[discardChangesDialog.cancelId]).toBe('Keep editing');
    const discard = { preventDefault: vi.fn() };
    settleUnload(discard, 0);
    expect(discard.preventDefault).toHaveBeenCalled();
    const keep = { preventDefault: vi.fn() };
    settleUnload(keep, discardChangesDialog.cancelId);
    expect(keep.preventDefault).not.toHaveBeenCalled();
  });
});
