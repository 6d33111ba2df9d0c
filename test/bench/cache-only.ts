// `npm run bench:cache`: only the local cache's rows of `npm run bench` (cache-bench.ts), for
// work on the cache's pull path without the proxy's rounds before them. Asserts nothing.
import { cacheBench } from './cache-bench';
import { stopAllOnSignal } from '../harness/stop-on-signal';

stopAllOnSignal();

void cacheBench().then(
  (rows) => console.log(rows),
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
