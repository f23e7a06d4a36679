import { ConfigError, parseConfig } from '../core/platform/config/config.js';
import { prepareDatabase } from '../core/platform/db/migrate.js';
import { DomainError, type ErrorKind } from '../core/platform/errors.js';
import { createLogger } from '../core/platform/logging/logger.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { workSendRun } from '../worker/send-run-worker.js';
import { UsageError, type Command, type CommandContext } from './command.js';
import { assembleCommand } from './commands/assemble.js';
import { importCommand } from './commands/import.js';
import { ingestCommand } from './commands/ingest.js';
import { ingestArxivCommand } from './commands/ingest-arxiv.js';
import { demoCommand } from './commands/demo.js';
import { migrateCommand } from './commands/migrate.js';
import { sendCommand } from './commands/send.js';
import { resendCommand } from './commands/resend.js';
import { subscribersCommand } from './commands/subscribers.js';

/** Every command of `npm run cli -- <command>`. */
const COMMANDS: Command[] = [migrateCommand, importCommand, ingestCommand, ingestArxivCommand, assembleCommand, sendCommand, resendCommand, subscribersCommand, demoCommand];

/**
 * Exit codes, in one place: 0 done; 2 wrong arguments or configuration; 1 anything else the
 * command could not do. Every kind of domain error exits 1, as scripts have relied on (the
 * printed message says what went wrong), like a failed `ingest` date or an unreachable database.
 */
const EXIT_CODE_OF_KIND: Record<ErrorKind, number> = {
  invalid: 1,
  'not-found': 1,
  conflict: 1,
  unavailable: 1,
  upstream: 1,
};

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return ['usage: npm run cli -- <command>', '', ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(name && name !== '--help' ? `unknown command "${name}"\n\n${usage()}` : usage());
    return name && name !== '--help' ? 2 : 0;
  }

  let runtime: Runtime | undefined;
  const context: CommandContext = {
    args,
    print: (line: string) => console.log(line),
    workSendRun,
    async runtime() {
      if (!runtime) {
        // Commands print their own summaries; unless LOG_LEVEL says otherwise, the logger only
        // speaks up for warnings.
        const config = parseConfig(process.env, { LOG_LEVEL: 'warn' });
        const logger = createLogger({ level: config.logLevel });
        await prepareDatabase(config.databaseMigrationUrl);
        runtime = createRuntime(config, logger);
      }
      return runtime;
    },
  };
  try {
    return await command.run(context);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) console.error(`paperboy: configuration error: ${problem}`);
      return 2;
    }
    if (error instanceof UsageError) {
      console.error(`${error.message}\nusage: npm run cli -- ${command.usage}`);
      return 2;
    }
    if (error instanceof DomainError) {
      console.error(`${command.name}: ${error.message}`);
      for (const detail of error.details) console.error(`  ${detail.field}: ${detail.message}`);
      return EXIT_CODE_OF_KIND[error.kind];
    }
    console.error(`${command.name} failed: ${(error as Error).message}`);
    return 1;
  } finally {
    await runtime?.close();
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code));
