// Clients that vanish in the middle of a redirected pull's stream leave nothing behind in
// serve: every connection pair is closed (found by `npm run soak`: each such pull used to
// keep its client and engine sockets open for good).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { docker, importBusyboxImage } from '../harness/real-docker';
import { startServe, type Serve } from '../harness/serve';
import { until } from '../harness/wait';

let serve: Serve;
const name = `vanish${process.pid}`;

beforeAll(async () => {
  const host = inject('dockerHost');
  const ref = `${inject('mirror')}/library/${name}:1`;
  importBusyboxImage(host, ref);
  docker(host, ['push', ref]);
  docker(host, ['rmi', ref]);
  serve = await startServe({ upstream: host });
  writeFileSync(join(serve.home, 'config.yaml'), `version: 1\nrules:\n  - from: docker.io\n    to: [${inject('mirror')}]\n`);
  // The config file was written after start: wait until a pull is redirected.
  await until('the rule to apply', () => {
    try {
      return docker(serve.host, ['pull', `${name}:1`]).includes('docker-caching: pulled');
    } catch {
      return false;
    }
  }, 30_000);
});
afterAll(async () => {
  await serve?.stop();
});

const openFds = () => readdirSync(`/proc/${serve.child.pid}/fd`).length;

/** Asks for a pull and closes the connection as soon as the first bytes of its stream arrive. */
function pullAndVanish(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: serve.socket });
    socket.on('error', reject);
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.write(`POST /v1.41/images/create?fromImage=${name}&tag=1 HTTP/1.1\r\nHost: docker\r\nContent-Length: 0\r\n\r\n`);
  });
}

describe('clients vanishing mid-stream', () => {
  it('a redirected pull whose client goes away after its first bytes frees both of its sockets', async () => {
    await serve.waitForEntry((e) => e.route === 'pull' && !e.pending && e.action === 'redirected');
    const before = openFds();
    for (let i = 0; i < 20; i++) await pullAndVanish();
    await until(`serve's open FDs to come back to ${before}`, () => openFds() <= before, 15_000);
    expect(openFds()).toBeLessThanOrEqual(before);
    expect(serve.child.exitCode).toBeNull();
  });
});
