// A byte relay in front of a real engine's socket that notes the request line of every request
// sent through it (method and target), so a test can say which calls serve made to the engine
// and in what order. Passes every byte unchanged both ways; requests are told apart by the
// proxy's own request reader (heads, then bodies by their framing), never by guessing.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RequestReader } from '../../main/engine/proxy/request-reader';

export interface EngineRecorder {
  /** `unix://…` of the relay: give it to serve as its upstream. */
  host: string;
  /** Every request line seen so far, `METHOD target`, in the order they came. */
  requests: string[];
  close(): Promise<void>;
}

export async function startEngineRecorder(engineSocket: string): Promise<EngineRecorder> {
  const dir = mkdtempSync(join(tmpdir(), 'dc-recorder-'));
  const path = join(dir, 'engine.sock');
  const requests: string[] = [];
  const open = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const engine = connect({ path: engineSocket, allowHalfOpen: true });
    open.add(client).add(engine);
    const reader = new RequestReader({
      onHead: (head) => void requests.push(`${head.method} ${head.target}`),
      onBody: () => undefined,
      onEnd: () => true,
    });
    let readable = true;
    client.on('data', (chunk: Buffer) => {
      if (!readable) return;
      try {
        reader.feed(chunk);
      } catch {
        // Not HTTP any more (an upgraded stream): relayed, no longer read.
        readable = false;
      }
    });
    client.pipe(engine);
    engine.pipe(client);
    const end = () => {
      client.destroy();
      engine.destroy();
      open.delete(client);
      open.delete(engine);
    };
    client.on('error', end).on('close', end);
    engine.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    host: `unix://${path}`,
    requests,
    close: () => new Promise((resolve) => {
      for (const socket of open) socket.destroy();
      server.close(() => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      });
    }),
  };
}
