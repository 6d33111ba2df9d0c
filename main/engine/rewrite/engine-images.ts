// What the engine holds of one image reference, asked the cheap way: one image inspect, never
// an image list (a filtered `images/json` makes the engine walk every image it has).
import type { EngineClient } from '../upstream/engine-client';

/** Whether the engine has `ref` (a name with tag, or an ID); `prefix` is the client's API version path. */
export async function imagePresent(engine: EngineClient, prefix: string, ref: string): Promise<boolean> {
  const res = await engine.call('GET', `${prefix}/images/${ref}/json`);
  return res.status === 200;
}
