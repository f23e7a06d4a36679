import type { Runtime } from '../runtime.js';

/**
 * What a command gets: its arguments and a runtime opened on first use (and closed after). Opening
 * it creates the database if needed and applies pending migrations, once per command.
 */
export interface CommandContext {
  args: string[];
  runtime(): Promise<Runtime>;
  /** Where a command prints its results and summary (stdout); progress goes to stderr. */
  print(line: string): void;
}

export interface Command {
  name: string;
  /** e.g. "import FILE" */
  usage: string;
  summary: string;
  /** Returns the exit code. */
  run(context: CommandContext): Promise<number>;
}

/** Thrown for wrong arguments; the CLI prints the message and the command's usage. */
export class UsageError extends Error {}

/** `--name value` or `--name=value`; undefined when absent. */
export function option(args: string[], name: string): string | undefined {
  const index = args.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (index < 0) return undefined;
  const arg = args[index] as string;
  if (arg.includes('=')) return arg.slice(arg.indexOf('=') + 1);
  const value = args[index + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
  return value;
}

export function flag(args: string[], name: string): boolean {
  return args.includes(`--${name}`);
}

/** Arguments that are neither options nor option values. */
export function positionals(args: string[], valueOptions: string[] = []): string[] {
  const result: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg.startsWith('--')) {
      if (!arg.includes('=') && valueOptions.includes(arg.slice(2))) i += 1;
      continue;
    }
    result.push(arg);
  }
  return result;
}
