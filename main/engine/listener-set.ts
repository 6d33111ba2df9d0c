// The engine's listener sets (log subscribers, config and status listeners): every listener
// is called, in the order added, and one that throws is reported and skipped, so a broken
// printer or window can never break a request, a reload or the other listeners.
export type ListenerErrorReporter = (error: unknown) => void;

const reportToStderr: ListenerErrorReporter = (error) => {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`docker-caching: a listener failed (the others still ran): ${text}\n`);
};

export class ListenerSet<Args extends unknown[]> {
  private readonly listeners = new Set<(...args: Args) => void>();

  constructor(private readonly report: ListenerErrorReporter = reportToStderr) {}

  /** Adds `listener`; returns the function that removes it. */
  add(listener: (...args: Args) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(...args: Args): void {
    for (const listener of this.listeners) {
      try {
        listener(...args);
      } catch (error) {
        this.report(error);
      }
    }
  }
}
