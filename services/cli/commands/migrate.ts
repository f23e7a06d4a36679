import type { Command } from '../command.js';

export const migrateCommand: Command = {
  name: 'migrate',
  usage: 'migrate',
  summary: 'create the database if needed and apply pending migrations',
  async run(context) {
    // Opening the runtime is what creates and migrates the database (see CommandContext).
    await context.runtime();
    context.print('migrations applied');
    return 0;
  },
};
