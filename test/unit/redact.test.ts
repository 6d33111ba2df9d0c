import { describe, expect, it } from 'vitest';
import { PullSecrets, redactHeaders, redactTarget, redactText } from '../../main/engine/log/redact';

describe('redaction at the source', () => {
  it('replaces registry credentials and Authorization in any letter case', () => {
    const out = redactHeaders([['X-Registry-Auth', 'eyJzZWNyZXQiOiJ4In0='], ['x-registry-config', 'abc'], ['AUTHORIZATION', 'Basic Zm9v'], ['Content-Type', 'application/json']]);
    expect(out).toEqual([['X-Registry-Auth', '<redacted>'], ['x-registry-config', '<redacted>'], ['AUTHORIZATION', '<redacted>'], ['Content-Type', 'application/json']]);
  });

  it('replaces build args and secret-named query values, keeping the rest', () => {
    expect(redactTarget('/v1.41/build?t=app&buildargs=%7B%22TOKEN%22%3A%22s3cr3t%22%7D&q=1')).toBe('/v1.41/build?t=app&buildargs=%3Credacted%3E&q=1');
    expect(redactTarget('/images/json')).toBe('/images/json');
    expect(redactTarget('/x?password=hunter2')).not.toContain('hunter2');
  });

  it('removes known secret values from free text', () => {
    expect(redactText('denied for user:hunter22 at host', ['hunter22'])).toBe('denied for user:<redacted> at host');
  });

  it('strips userinfo from a URL in any query value, whatever the parameter is called', () => {
    expect(redactTarget('/build?remote=https%3A%2F%2Fuser%3Atok%40github.com%2Fo%2Fr.git&t=x')).toBe('/build?remote=https%3A%2F%2F%3Credacted%3E%40github.com%2Fo%2Fr.git&t=x');
    expect(redactTarget('/images/create?fromSrc=http://u:p@host/x.tar')).toBe(`/images/create?fromSrc=${encodeURIComponent('http://<redacted>@host/x.tar')}`);
    expect(redactTarget('/build?remote=git%40github.com%3Ao%2Fr.git')).toBe('/build?remote=git%40github.com%3Ao%2Fr.git');
  });

  it('redacts every form of a pull’s credentials: header, base64 and base64url of user:password, Basic, the bare password and tokens', () => {
    const secrets = new PullSecrets();
    const header = Buffer.from(JSON.stringify({ username: 'me', password: 'p+ss/word?>' })).toString('base64url');
    secrets.add({ username: 'me', password: 'p+ss/word?>' }, header);
    secrets.add({ identitytoken: 'refresh-token-1' });
    const b64 = Buffer.from('me:p+ss/word?>').toString('base64');
    const text = `${header} | Basic ${b64} | ${b64.replace(/\+/g, '-').replace(/\//g, '_')} | me:p+ss/word?> | p+ss/word?> | Bearer refresh-token-1`;
    expect(secrets.redact(text)).toBe('<redacted> | Basic <redacted> | <redacted> | <redacted> | <redacted> | Bearer <redacted>');
  });
});
