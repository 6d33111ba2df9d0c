// Reads the engine's pull progress stream (JSON objects separated by CRLF) line by line:
// which lines carry an error, and a running summary of layers and bytes.
// Never holds more than one partial line.
import type { PullProgress } from '#shared/log';

export interface ProgressMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string; code?: number };
}

/**
 * What the engine said it fetched: the image's layers it named, those it downloaded (the
 * rest it had), and their bytes when it gave a size for each. An engine that names no layer
 * had the image (up to date, or a new tag for it) and fetched nothing but the manifest.
 */
export interface PullFacts {
  layers: number;
  layersFetched: number;
  /** Bytes of the downloaded layers, undefined when the engine did not size each of them. */
  fetchedBytes?: number;
}

export class ProgressReader {
  private partial = '';
  private readonly layers = new Map<string, { current: number; total: number; done: boolean; fetched: boolean }>();
  /** The first error the stream reported, if any. */
  error: string | null = null;
  /** The tags the engine said it pulled (`Pulling from <repo>` with the tag as id): an all-tags pull names each. */
  readonly pulledTags = new Set<string>();

  /** Splits `chunk` into complete lines; returns them with their parsed message (null if not JSON). */
  push(chunk: string): { line: string; message: ProgressMessage | null }[] {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    return lines.filter((l) => l.trim() !== '').map((line) => this.take(line));
  }

  /** The last line, when the stream ended without a newline. */
  flush(): { line: string; message: ProgressMessage | null }[] {
    const rest = this.partial;
    this.partial = '';
    return rest.trim() ? [this.take(rest)] : [];
  }

  summary(): PullProgress {
    let bytesTotal = 0;
    let bytesDone = 0;
    let layersDone = 0;
    for (const l of this.layers.values()) {
      bytesTotal += l.total;
      bytesDone += l.done ? l.total : l.current;
      if (l.done) layersDone++;
    }
    return { layers: this.layers.size, layersDone, bytesTotal, bytesDone };
  }

  facts(): PullFacts {
    const fetched = [...this.layers.values()].filter((l) => l.fetched);
    const sized = fetched.every((l) => l.total > 0);
    return {
      layers: this.layers.size,
      layersFetched: fetched.length,
      ...(sized ? { fetchedBytes: fetched.reduce((sum, l) => sum + l.total, 0) } : {}),
    };
  }

  private take(line: string): { line: string; message: ProgressMessage | null } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return { line, message: null };
    }
    // `null`, numbers and arrays are valid JSON but no progress message.
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { line, message: null };
    const message = parsed as ProgressMessage;
    if (message.error || message.errorDetail) {
      this.error ??= message.errorDetail?.message || message.error || 'unknown error';
    } else {
      this.track(message);
    }
    return { line, message };
  }

  private track(m: ProgressMessage): void {
    if (m.id && m.status?.startsWith('Pulling from ')) this.pulledTags.add(m.id);
    if (!m.id || !m.status || !/^[0-9a-f]{12}$/.test(m.id)) return;
    const layer = this.layers.get(m.id) ?? { current: 0, total: 0, done: false, fetched: false };
    this.layers.set(m.id, layer);
    // The engine asks the registry only for layers it announces this way; "Already exists" it
    // has (the containerd store says so after "Pulling fs layer" too).
    if (m.status === 'Pulling fs layer' || m.status === 'Downloading') layer.fetched = true;
    if (m.status === 'Already exists') layer.fetched = false;
    if (m.status === 'Downloading' && m.progressDetail) {
      layer.current = m.progressDetail.current ?? layer.current;
      layer.total = m.progressDetail.total ?? layer.total;
    } else if (m.status === 'Pull complete' || m.status === 'Already exists' || m.status === 'Download complete') {
      if (m.status !== 'Download complete') layer.done = true;
      layer.current = layer.total;
    }
  }
}
