// Saves the inspector's current view as a file: NDJSON of the summaries, or HAR with the
// redacted headers of each request when the view is small enough to fetch them all.
// Bodies are never exported (main never sends them).
import type { LogDetail, LogEntry } from '#shared/log';
import { toHar, toNdjson, type ExportableEntry } from '#shared/log-export';
import { invoke } from '../api';
import { logModel } from '../logs/log-model';

declare const VERSION: string | undefined;
const appVersion = typeof VERSION === 'string' ? VERSION : 'dev';

/** Above this many requests a HAR holds summaries only: one detail fetch per request adds up. */
const HAR_DETAIL_LIMIT = 1_000;

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}

/** Offers text as a download through a Blob URL and a temporary link. */
export function download(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function exportNdjson(): number {
  const entries = [...logModel.shown()];
  download(`docker-caching-${stamp()}.ndjson`, toNdjson(entries), 'application/x-ndjson');
  return entries.length;
}

async function withDetails(entries: LogEntry[]): Promise<ExportableEntry[]> {
  if (entries.length > HAR_DETAIL_LIMIT) return entries;
  const out: ExportableEntry[] = entries.slice();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const i = next++;
      const result = await invoke('logs.detail', entries[i]!.seq);
      if (result.ok && result.value) out[i] = result.value satisfies LogDetail;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return out;
}

export async function exportHar(): Promise<number> {
  const entries = [...logModel.shown()];
  const har = toHar(await withDetails(entries), appVersion);
  download(`docker-caching-${stamp()}.har`, JSON.stringify(har, null, 2), 'application/json');
  return entries.length;
}
