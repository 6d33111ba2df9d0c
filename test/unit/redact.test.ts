import { describe, expect, it } from 'vitest';
import { redactHeaders, redactTarget, redactText } from '../../main/engine/log/redact';

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
});
