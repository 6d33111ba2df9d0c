// A Linux bridge of a test engine's own, so a private dockerd can run bridge-network
// containers (the cache's default `network: bridge`) beside other engines on one machine:
// its own name and /24 (never docker0, never a subnet another interface holds), the host
// end at .1 (the gateway containers reach the host at). Made with `ip` from iproute2 and
// removed by whoever made it; a bridge left by a test run that died is removed by the next.
// Never touches an interface it did not name.
import { execFileSync } from 'node:child_process';

const IP = '/usr/sbin/ip';
// dcb<pid><tag>: at most 15 characters (IFNAMSIZ), the pid tells whose it is.
const NAME = /^dcb(\d+)[a-z]$/;

export interface PrivateBridge {
  /** The interface name, given to dockerd as `--bridge`. */
  name: string;
  /** The host's address on it: containers on the bridge reach the host here. */
  gateway: string;
  /** `10.X.Y.0/24`, for `--insecure-registry` (registries on the gateway). */
  subnet: string;
  remove(): void;
}

function ip(args: string[]): string {
  try {
    return execFileSync(IP, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || (err as Error).message}`, { cause: err });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Link {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** The first 10.X.Y of 10.200-249.X.0/24 no interface has an address in, searched from a start the name gives. */
function freeSubnet(name: string): string {
  const links = JSON.parse(ip(['-j', '-4', 'addr', 'show'])) as Link[];
  const taken = new Set(links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local.split('.').slice(0, 3).join('.'))));
  const SUBNETS = 50 * 256;
  // Started from the pid and letter, so two runs at once seldom even try the same one.
  const start = (process.pid * 31 + name.charCodeAt(name.length - 1) * 997) % SUBNETS;
  for (let i = 0; i < SUBNETS; i++) {
    const k = (start + i) % SUBNETS;
    const candidate = `10.${200 + Math.floor(k / 256)}.${k % 256}`;
    if (!taken.has(candidate)) return candidate;
  }
  throw new Error('no free /24 in 10.200.0.0-10.249.255.0 for a private bridge');
}

/** Bridges named by a test run whose process is gone. */
function removeStale(links: Link[]): void {
  for (const { ifname } of links) {
    const m = NAME.exec(ifname);
    if (m && !alive(Number(m[1]))) {
      try {
        ip(['link', 'del', ifname]);
      } catch {
        // another run removed it first
      }
    }
  }
}

/** Makes a bridge `dcb<pid><a-z>` on a free 10.X.Y.0/24, up, with the host at .1. */
export function createPrivateBridge(): PrivateBridge {
  removeStale(JSON.parse(ip(['-j', 'link', 'show'])) as Link[]);
  // The first free letter: each vitest project loads this module afresh in one process.
  let name: string | undefined;
  for (let letter = 0; letter < 26 && name === undefined; letter++) {
    const candidate = `dcb${process.pid}${String.fromCharCode(97 + letter)}`;
    try {
      ip(['link', 'add', candidate, 'type', 'bridge']);
      name = candidate;
    } catch (err) {
      if (!/File exists/.test((err as Error).message)) throw err;
    }
  }
  if (name === undefined) throw new Error(`this process already has 26 private bridges (dcb${process.pid}a-z)`);
  const remove = () => {
    try {
      ip(['link', 'del', name]);
    } catch (err) {
      if (!/Cannot find device/.test((err as Error).message)) console.warn((err as Error).message);
    }
  };
  let prefix: string;
  try {
    prefix = freeSubnet(name);
    ip(['addr', 'add', `${prefix}.1/24`, 'dev', name]);
    ip(['link', 'set', name, 'up']);
  } catch (err) {
    remove();
    throw err;
  }
  return { name, gateway: `${prefix}.1`, subnet: `${prefix}.0/24`, remove };
}
