import type { Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  usage: 'migrate',
  summary: 'create the database if needed and apply pending migrations',
  async run(context) {
    // Every command's runtime opens on a prepared database: opening it is the migration.
    await context.runtime();
    context.print('migrations applied');
    return 0;
  },
};
