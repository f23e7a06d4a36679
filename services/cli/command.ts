import { EDITION_KEY_FORMATS, parseEditionKey } from '../core/editions/edition-key.js';
import { isDailyDate } from '../core/papers/daily-date.js';
import type { RunReport, SendRunListener } from '../core/sending/send-report.js';
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
  /**
   * Works a send run to its end by running the send workers in this process (beside any worker
   * processes, which share the work); reports settled and total deliveries as it goes, and waits
   * out Postgres or Redis going away.
   */
  workSendRun(runtime: Runtime, runId: number, listener: SendRunListener): Promise<RunReport>;
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

/** `--date YYYY-MM-DD`, a real calendar day; undefined when absent. */
export function dailyDateOption(args: string[]): string | undefined {
  const date = option(args, 'date');
  if (date !== undefined && !isDailyDate(date)) throw new UsageError(`--date must be a calendar date YYYY-MM-DD (got "${date}")`);
  return date;
}

/** `--date KEY` naming an edition (edition-key.ts: YYYY-MM-DD, YYYY-Www or arxiv:CATEGORY:YYYY-MM-DD); undefined when absent. */
export function editionKeyOption(args: string[]): string | undefined {
  const key = option(args, 'date');
  if (key === undefined) return undefined;
  const parsed = parseEditionKey(key);
  if (!parsed.ok) throw new UsageError(`--date must be an edition key: ${EDITION_KEY_FORMATS} (got "${key}": ${parsed.message})`);
  return key;
}

/** `--date KEY` where the command cannot go on without it. */
export function requiredEditionKeyOption(args: string[]): string {
  const key = editionKeyOption(args);
  if (key === undefined) throw new UsageError(`--date needs an edition key: ${EDITION_KEY_FORMATS}`);
  return key;
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
