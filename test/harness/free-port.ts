// Ports for the tests' registries and caches. Not `listen(0)`: the kernel hands those out of
// its ephemeral range (32768-60999 here), where every outgoing connection of every process
// also takes its local port, so a port free when asked could be some connection's by the time
// a cache container binds it, and port + 100 (a cache's debug server unless debugPort is
// set) was never checked at all: CI once failed on "error listening on debug interface:
// bind: address already in use". So: ports from below that range and below the global
// setup's registries (20000+), each handed out once per process, never within 100 of another
// one handed out, and with both the port and port + 100 free on the host when handed out.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const DEBUG_OFFSET = 100;
const FIRST = 12000;
const LAST = Math.min(19900, ephemeralStart() - DEBUG_OFFSET - 1);
const handedOut = new Set<number>();
let next = FIRST + Math.floor(Math.random() * (LAST - FIRST));

function ephemeralStart(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

function listenable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function nearOneHandedOut(port: number): boolean {
  for (const other of handedOut) if (Math.abs(other - port) === DEBUG_OFFSET || other === port) return true;
  return false;
}

/** A TCP port free on `host` (127.0.0.1 unless given) with port + 100 free too, not handed out before in this process. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let tries = 0; tries < LAST - FIRST; tries += 1) {
    const port = next;
    next = next >= LAST ? FIRST : next + 1;
    if (nearOneHandedOut(port)) continue;
    if (!(await listenable(port, host)) || !(await listenable(port + DEBUG_OFFSET, host))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port pair (port, port + ${DEBUG_OFFSET}) left in ${FIRST}-${LAST} on ${host}`);
}
