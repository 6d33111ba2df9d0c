// When the app starts, shows itself and stops: windows closing never quit it (the tray does),
// and quitting first runs the shutdown steps (restore the docker context, stop the engine).
// Never quits with docker still pointed at a socket that is about to disappear, unless a step hangs.
import type { View } from '#shared/ipc';

/** Set by the login item: start in the tray without opening a window. */
export const HIDDEN_FLAG = '--hidden';

/** The view to open at launch, or null to start in the tray only. */
export function launchView(argv: readonly string[]): View | null {
  return argv.includes(HIDDEN_FLAG) ? null : 'inspector';
}

export interface ShutdownStep {
  /** What the step does, for the report when it fails ("restore the docker context"). */
  name: string;
  run(): void | Promise<void>;
}

export class QuitSequence {
  private state: 'running' | 'stopping' | 'stopped' = 'running';

  constructor(
    private readonly steps: readonly ShutdownStep[],
    private readonly report: (message: string) => void,
    /** The app quits after this long even if a step has not finished. */
    private readonly timeoutMs = 5_000,
  ) {}

  get quitting(): boolean {
    return this.state !== 'running';
  }

  /**
   * The app's `before-quit`: the first one is held back until the steps are done (each runs
   * even if an earlier one failed), then `quit` is called again and goes through.
   */
  beforeQuit(event: { preventDefault(): void }, quit: () => void): void {
    if (this.state === 'stopped') return;
    event.preventDefault();
    if (this.state === 'stopping') return;
    this.state = 'stopping';
    void this.runSteps().then(() => {
      this.state = 'stopped';
      quit();
    });
  }

  private async runSteps(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    const all = (async () => {
      for (const step of this.steps) {
        try {
          await step.run();
        } catch (err) {
          this.report(`could not ${step.name} while quitting: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    })();
    if ((await Promise.race([all, deadline])) === 'timeout') {
      this.report(`quitting without waiting longer: shutting down took over ${this.timeoutMs / 1000} s`);
    }
    clearTimeout(timer);
  }
}
