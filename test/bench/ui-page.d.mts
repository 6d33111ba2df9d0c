// Types for ui-page.mjs (the built renderer in Chromium with a fake bridge).
import type { BrowserContext, Page } from 'playwright-core';
import type { ConfigState, MirrorCheck, Status } from '#shared/ipc';
import type { LogDetail, LogEntry } from '#shared/log';

export const CSP: string;

export function serveRenderer(root?: string): Promise<{ url: string; close(): Promise<void> }>;

export function launchChromium(options?: { viewport?: { width: number; height: number }; args?: string[] }): Promise<{
  context: BrowserContext;
  close(): Promise<void>;
}>;

export interface FakeApiInit {
  status: Status;
  config: ConfigState;
  /** logs.detail answers by seq. */
  details?: Record<number, LogDetail>;
  /** mirror.check answers by location (otherwise: reachable). */
  mirrorChecks?: Record<string, MirrorCheck>;
  /** Channels that answer with this error. */
  failures?: Partial<Record<string, string>>;
  /** What main's log holds when the page opens (logs.snapshot answers from it). */
  history?: LogEntry[];
  historyDropped?: number;
  /** How many entries the fake keeps for logs.snapshot (main's default: 10,000; 0 keeps none). */
  logCap?: number;
}

export function installFakeApi(init: FakeApiInit): void;

/** What `window.__fake` offers inside the page. */
export interface FakeHandle {
  calls: { channel: string; request: unknown }[];
  state: FakeApiInit & { config: ConfigState; status: Status };
  log: { entries: LogEntry[]; dropped: number; lastSeq: number };
  emit(event: string, payload: unknown): void;
  push(entries: LogEntry[]): void;
  synthetic(seq: number, time: number): LogEntry;
  pushSynthetic(fromSeq: number, count: number, batch?: number): void;
}

export function openRenderer(context: BrowserContext, url: string, init: FakeApiInit, options?: { colorScheme?: 'light' | 'dark' }): Promise<{
  page: Page;
  problems: string[];
}>;
