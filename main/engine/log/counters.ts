// Running totals of what the rewrite did (redirected, from the local cache, fell back,
// blocked, failed, bytes from mirrors), kept from the log's finished entries for the status strip and the tray.
import type { Counters as CounterValues } from '#shared/ipc';
import type { LogStore } from './log-store';
import { Listeners } from '../listeners';

export class Counters {
  private values: CounterValues = { redirected: 0, fellBack: 0, blocked: 0, failed: 0, bytesFromMirrors: 0, fromCache: 0 };
  private readonly listeners = new Listeners<[]>('counters');

  constructor(logs: LogStore) {
    logs.subscribe((entry, kind) => {
      if (kind !== 'end' || entry.route !== 'pull' || !entry.rewrite) return;
      const v = this.values;
      if (entry.action === 'redirected') {
        v.redirected++;
        // Hits only: a miss fetched from upstream, and an unknown cannot be counted either way.
        if (entry.rewrite.cache?.served?.kind === 'hit') v.fromCache++;
        // Image bytes the engine downloaded (layer progress), not the size of the progress stream.
        v.bytesFromMirrors += entry.progress?.bytesDone ?? 0;
      } else if (entry.action === 'fell back') v.fellBack++;
      else if (entry.action === 'blocked') v.blocked++;
      else if (entry.action === 'failed') v.failed++;
      else return;
      this.listeners.emit();
    });
  }

  snapshot(): CounterValues {
    return { ...this.values };
  }

  onChange(listener: () => void): () => void {
    return this.listeners.add(listener);
  }
}
