// The tray's "Use docker-caching for docker commands": remembers the user's choice across
// launches, applies it while the proxy listens, and switches docker back on quit.
// Never points docker at our socket while nothing listens on it.
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../engine/atomic-write';
import { dirname, join } from 'node:path';
import { contextStatePath, proxyContextActive, restorePreviousContext, useProxyContext, type DockerEnv } from '../engine/upstream/docker-context';

export interface ContextSwitchSetup extends DockerEnv {
  /** Our config file: the remembered context and the user's choice are kept beside it. */
  configPath: string;
  /** The socket we listen on, null while we do not. */
  listening(): string | null;
  report(message: string): void;
}

/** What to do at launch: apply the remembered choice, or undo a switch a crash left behind. */
export function launchContextAction(wanted: boolean, active: boolean, listening: boolean): 'use' | 'restore' | 'none' {
  if (wanted && listening) return 'use';
  return active ? 'restore' : 'none';
}

export class DockerContextSwitch {
  private readonly statePath: string;
  private readonly choicePath: string;

  constructor(private readonly setup: ContextSwitchSetup) {
    this.statePath = contextStatePath(setup.configPath);
    this.choicePath = join(dirname(setup.configPath), 'use-docker-context.json');
  }

  active(): boolean {
    return proxyContextActive(this.setup);
  }

  /** The user's choice, kept across launches. */
  wanted(): boolean {
    try {
      return JSON.parse(readFileSync(this.choicePath, 'utf8')).useDockerContext === true;
    } catch {
      return false;
    }
  }

  /** The tray's or the window's switch: switch and remember the choice. Returns the failure, in words (also reported). */
  set(on: boolean): string | undefined {
    try {
      if (on) this.use();
      else restorePreviousContext({ ...this.setup, statePath: this.statePath });
      writeFileAtomicSync(this.choicePath, JSON.stringify({ useDockerContext: on }) + '\n', { mode: 0o600 });
      return undefined;
    } catch (err) {
      this.setup.report((err as Error).message);
      return (err as Error).message;
    }
  }

  /** At launch: re-apply the remembered choice, or undo a switch left behind by a crash. */
  applyAtLaunch(): void {
    const action = launchContextAction(this.wanted(), this.active(), this.setup.listening() !== null);
    try {
      if (action === 'use') this.use();
      if (action === 'restore') restorePreviousContext({ ...this.setup, statePath: this.statePath });
    } catch (err) {
      this.setup.report((err as Error).message);
    }
  }

  /** On quit: docker goes back to what it used before; the choice stays remembered. */
  restoreOnQuit(): void {
    if (this.active()) restorePreviousContext({ ...this.setup, statePath: this.statePath });
  }

  private use(): void {
    const socketPath = this.setup.listening();
    if (socketPath === null) {
      throw new Error('cannot point docker commands at docker-caching: the proxy is not listening (see the status line in the tray menu)');
    }
    const { warning } = useProxyContext({ ...this.setup, statePath: this.statePath, socketPath });
    if (warning) this.setup.report(warning);
  }
}
