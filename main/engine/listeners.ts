// A set of listeners in which one that throws cannot stop the others, nor the code that
// notifies them (the proxy's data path notifies the log's listeners). Never rethrows.

export class Listeners<Args extends unknown[]> {
  private readonly set = new Set<(...args: Args) => void>();

  /** `onError` hears what a listener threw; by default it is written to stderr. */
  constructor(private readonly name: string, private readonly onError: (err: unknown) => void = (err) => reportListenerError(name, err)) {}

  add(listener: (...args: Args) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(...args: Args): void {
    for (const listener of this.set) {
      try {
        listener(...args);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  get size(): number {
    return this.set.size;
  }
}

function reportListenerError(name: string, err: unknown): void {
  process.stderr.write(`docker-caching: a ${name} listener failed and was skipped: ${err instanceof Error ? err.message : String(err)}\n`);
}
