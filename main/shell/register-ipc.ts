// Registers every invoke channel of the shared contract: checks the caller is one of our own
// pages, validates the payload with the contract's schema, replies in the Result envelope.
// Never lets an exception, a stack trace or an unvalidated payload through.
import type { z } from 'zod';
import { invokeChannels, type InvokeChannel, type InvokeResponses, type Result } from '#shared/ipc';

/** One implementation per channel, receiving the request as validated by the schema. */
export type InvokeHandlers = {
  [C in InvokeChannel]: (request: z.output<(typeof invokeChannels)[C]>) => InvokeResponses[C] | Promise<InvokeResponses[C]>;
};

/** What we read of an invoke event: the frame that sent it (null once it is gone). */
export interface InvokeEvent {
  senderFrame: { url: string } | null;
}

/** The part of Electron's ipcMain this uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

const channels = Object.keys(invokeChannels) as InvokeChannel[];

/** Registers a handler for every channel; returns a function that removes them all. */
export function registerIpc(ipcMain: IpcMainLike, handlers: InvokeHandlers, isTrustedSender: (url: string) => boolean): () => void {
  for (const channel of channels) {
    ipcMain.handle(channel, (event, ...args) => answer(channel, handlers, isTrustedSender, event, args));
  }
  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}

async function answer<C extends InvokeChannel>(
  channel: C,
  handlers: InvokeHandlers,
  isTrustedSender: (url: string) => boolean,
  event: InvokeEvent,
  args: unknown[],
): Promise<Result<InvokeResponses[C]>> {
  const url = event.senderFrame?.url;
  if (url === undefined) return { ok: false, error: `refused ${channel}: the page that asked is gone` };
  if (!isTrustedSender(url)) return { ok: false, error: `refused ${channel} from ${url || 'an empty page'}: only docker-caching's own pages may call it` };
  if (args.length > 1) return { ok: false, error: `invalid request for ${channel}: expected one argument, got ${args.length}` };
  const parsed = invokeChannels[channel].safeParse(args[0]);
  if (!parsed.success) return { ok: false, error: `invalid request for ${channel}: ${describeIssues(parsed.error.issues)}` };
  try {
    const handler = handlers[channel] as (request: unknown) => InvokeResponses[C] | Promise<InvokeResponses[C]>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}
