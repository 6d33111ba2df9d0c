// Who can use the socket, tried as real users: serve runs as a non-root owner with a group
// set; a non-root member of that group connects, a non-member gets EACCES. The users and
// the group are made for this test (groupadd/useradd) and removed afterwards; each side
// runs under setpriv with its own uid and groups.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { passableTempDir } from '../harness/passable-temp';
import { join } from 'node:path';
import { startServe } from '../harness/serve';

const suffix = `${process.pid % 100000}`;
const group = `dcg${suffix}`;
const users = { owner: `dco${suffix}`, member: `dcm${suffix}`, stranger: `dcn${suffix}` };
let home: string;

const id = (flag: '-u' | '-g', name: string) => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
const asUser = (name: string) => ['setpriv', `--reuid=${id('-u', name)}`, `--regid=${id('-g', name)}`, '--init-groups'];

beforeAll(() => {
  for (const tool of ['setpriv', 'groupadd', 'useradd']) {
    if (spawnSync('which', [tool]).status !== 0) throw new Error(`${tool} is missing: install util-linux and passwd to run the socket access tests`);
  }
  execFileSync('groupadd', [group]);
  execFileSync('useradd', ['--no-create-home', '--no-user-group', '--groups', group, users.owner]);
  execFileSync('useradd', ['--no-create-home', '--no-user-group', '--groups', group, users.member]);
  execFileSync('useradd', ['--no-create-home', '--no-user-group', users.stranger]);
  home = passableTempDir('dc-access-');
  chownSync(home, id('-u', users.owner), id('-g', users.owner));
});

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  for (const user of Object.values(users)) spawnSync('userdel', [user]);
  spawnSync('groupdel', [group]);
});

/** Connects to the socket as `user` and sends GET /_ping: the HTTP status line, or the error code. */
function pingAs(user: string, socket: string): string {
  const script = `const s=require('net').connect(process.argv[1]);s.on('connect',()=>s.write('GET /_ping HTTP/1.1\\r\\nHost: d\\r\\n\\r\\n'));let o='';s.on('data',d=>{o+=d;if(o.includes('\\r\\n')){console.log(o.split('\\r\\n')[0]);s.destroy();}});s.on('error',e=>console.log(e.code));`;
  return execFileSync(asUser(user)[0]!, [...asUser(user).slice(1), process.execPath, '-e', script, socket], { encoding: 'utf8', timeout: 30_000 }).trim();
}

describe('the socket group', () => {
  it('lets a non-root member in and keeps a non-member out, with serve itself not root', async () => {
    writeFileSync(join(home, 'config.yaml'), `version: 1\ngroup: ${group}\n`);
    chownSync(join(home, 'config.yaml'), id('-u', users.owner), id('-g', users.owner));
    const serve = await startServe({ upstream: inject('dockerHost'), home, runAs: asUser(users.owner) });
    try {
      const folder = statSync(join(serve.socket, '..'));
      expect({ mode: folder.mode & 0o777, uid: folder.uid, gid: folder.gid }).toEqual({ mode: 0o750, uid: id('-u', users.owner), gid: Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]) });
      expect(statSync(serve.socket).mode & 0o777).toBe(0o660);
      expect(statSync(serve.socket).gid).toBe(folder.gid);
      // The owner cannot reach root's dockerd, so the proxy answers with its own error: the connection itself is what counts.
      expect(pingAs(users.member, serve.socket)).toMatch(/^HTTP\/1\.1 \d{3}/);
      expect(pingAs(users.stranger, serve.socket)).toBe('EACCES');
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    expect(existsSync(serve.socket)).toBe(false);
  });
});
