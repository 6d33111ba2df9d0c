// The `docker-caching` command: `serve` (the engine, headless), `resolve` (what the
// rules make of a reference) and `cache` (the local caches). Never imports electron (a test guards the built file).
import { parseArgs } from 'node:util';
import { serve } from './serve';
import { resolveCommand } from './resolve';
import { cacheCommand } from './cache';
import { LOG_CHOICES, type LogChoice } from './log-choice';

const isLogChoice = (value: string): value is LogChoice => (LOG_CHOICES as readonly string[]).includes(value);

const USAGE = `usage:
  docker-caching serve [--config FILE] [--listen PATH] [--upstream URL] [--log actions|all] [--log-format text|json] [--group NAME]
  docker-caching resolve [--config FILE] [--json] [--] REF
  docker-caching cache status|up|down|clear|compose [REGISTRY] [--config FILE] [--upstream URL] [--json]
  docker-caching --help | --version`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { values } = parseArgs({
        args: rest,
        options: {
          config: { type: 'string' },
          listen: { type: 'string' },
          upstream: { type: 'string' },
          log: { type: 'string', default: 'actions' },
          'log-format': { type: 'string', default: 'text' },
          group: { type: 'string' },
        },
        strict: true,
      });
      const logFormat = values['log-format'];
      if (logFormat !== 'text' && logFormat !== 'json') throw new Error(`--log-format must be text or json, not "${logFormat}"`);
      const log = values.log;
      if (!isLogChoice(log)) throw new Error(`--log must be ${LOG_CHOICES.join(' or ')}, not "${log}"`);
      await serve({ config: values.config, listen: values.listen, upstream: values.upstream, log, logFormat, group: values.group });
      return 0;
    }
    case 'resolve':
      return resolveCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env });
    case 'cache':
      return cacheCommand(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env });
    case '--version':
    case 'version':
      process.stdout.write(`docker-caching ${VERSION}\n`);
      return 0;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`docker-caching: unknown command "${command}"\n${USAGE}\n`);
      return 2;
  }
}

declare const VERSION: string;

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`docker-caching: ${err.message}\n`);
    process.exitCode = 1;
  },
);
