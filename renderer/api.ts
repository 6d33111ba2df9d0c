// The renderer's only door to main: the `window.dockerCaching` object the preload exposes.
// Every call comes back as a Result, even when the bridge itself throws, so views show
// error text and never an unhandled rejection. Never imports from main/.
import { API_NAME, type DockerCachingApi, type InvokeChannel, type InvokeRequest, type InvokeResponses, type PushEvent, type PushEvents, type Result } from '#shared/ipc';

type RequestArgs<C extends InvokeChannel> =
  InvokeRequest<C> extends undefined | void ? [] | [InvokeRequest<C>] : [InvokeRequest<C>];

/** The bridge, or null when the page runs outside the app (opened in a plain browser). */
export function bridge(): DockerCachingApi | null {
  return (globalThis as Record<string, unknown>)[API_NAME] as DockerCachingApi | undefined ?? null;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export async function invoke<C extends InvokeChannel>(channel: C, ...request: RequestArgs<C>): Promise<Result<InvokeResponses[C]>> {
  const api = bridge();
  if (!api) return { ok: false, error: 'docker-caching is not connected: this page only works inside the app' };
  try {
    return await api.invoke(channel, ...request);
  } catch (error) {
    return { ok: false, error: message(error) };
  }
}

export function on<E extends PushEvent>(event: E, listener: (payload: PushEvents[E]) => void): () => void {
  return bridge()?.on(event, listener) ?? (() => {});
}
