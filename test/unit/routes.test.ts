import { describe, expect, it } from 'vitest';
import { classifyRoute } from '../../main/engine/proxy/routes';

describe('classifyRoute', () => {
  it('classifies with and without the /vX.Y prefix', () => {
    expect(classifyRoute('HEAD', '/_ping')).toMatchObject({ route: 'ping', apiVersion: undefined });
    expect(classifyRoute('GET', '/v1.41/_ping')).toMatchObject({ route: 'ping', apiVersion: '1.41' });
    expect(classifyRoute('GET', '/v1.24/containers/json?all=1')).toMatchObject({ route: 'list containers', path: '/containers/json' });
  });

  it('names the image of a pull from fromImage and tag, including digests', () => {
    expect(classifyRoute('POST', '/v1.41/images/create?fromImage=ubuntu&tag=18.04')).toMatchObject({ route: 'pull', image: 'ubuntu:18.04' });
    expect(classifyRoute('POST', '/images/create?fromImage=docker.io%2Flibrary%2Fubuntu&tag=sha256%3Aabc')).toMatchObject({ image: 'docker.io/library/ubuntu@sha256:abc' });
    expect(classifyRoute('POST', '/images/create?fromImage=busybox')).toMatchObject({ image: 'busybox' });
  });

  it('reads image names with raw slashes, colons and @ from paths', () => {
    expect(classifyRoute('POST', '/v1.51/images/localhost:5000/ubuntu:18.04/tag?repo=ubuntu')).toMatchObject({ route: 'tag', image: 'localhost:5000/ubuntu:18.04' });
    expect(classifyRoute('GET', '/images/ubuntu@sha256:abc/json')).toMatchObject({ route: 'inspect image', image: 'ubuntu@sha256:abc' });
    expect(classifyRoute('DELETE', '/v1.41/images/localhost:5000/library/ubuntu:18.04?noprune=1')).toMatchObject({ route: 'remove image', image: 'localhost:5000/library/ubuntu:18.04' });
  });

  it('marks attach, exec start and BuildKit sessions as hijacked, but not websockets', () => {
    expect(classifyRoute('POST', '/v1.41/containers/abc/attach?stream=1&stdin=1').hijack).toBe(true);
    expect(classifyRoute('POST', '/v1.41/exec/abc/start').hijack).toBe(true);
    expect(classifyRoute('POST', '/session').hijack).toBe(true);
    expect(classifyRoute('POST', '/grpc').hijack).toBe(true);
    expect(classifyRoute('GET', '/containers/abc/attach/ws').hijack).toBe(false);
    expect(classifyRoute('POST', '/containers/abc/wait').hijack).toBe(false);
  });

  it('reads the query of a request (parsed only when read), and an empty one without a query', () => {
    expect(classifyRoute('GET', '/v1.41/containers/json?all=1&filters=%7B%7D').query.get('filters')).toBe('{}');
    expect([...classifyRoute('GET', '/v1.41/containers/json').query]).toEqual([]);
    expect([...classifyRoute('GET', '/v1.41/containers/json?').query]).toEqual([]);
  });

  it('names container routes for the inspector', () => {
    expect(classifyRoute('POST', '/containers/create?name=x').route).toBe('create container');
    expect(classifyRoute('POST', '/containers/abc/exec').route).toBe('exec create');
    expect(classifyRoute('GET', '/containers/abc/logs?follow=1').route).toBe('logs');
    expect(classifyRoute('GET', '/events').route).toBe('events');
    expect(classifyRoute('GET', '/nope').route).toBe('other');
  });
});
