import { prepareDatabase } from '../../core/platform/db/migrate.js';
import type { Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  usage: 'migrate',
  summary: 'create the database if needed and apply pending migrations',
  async run(context) {
    const runtime = await context.runtime();
    await prepareDatabase(runtime.config.databaseUrl);
    context.print('migrations applied');
    return 0;
  },
};
