import { UnrecoverableError, type Job } from 'bullmq';
import type { z } from 'zod';
import { QUEUES, type JobData, type JobName, type QueueKey } from '../core/platform/queue/queue-contract.js';
import type { ProcessorDefinition } from './worker-host.js';

/**
 * One handler per job name of queue `Q`. A handler gets the job's data, checked against the
 * queue contract, and the job itself for its id, attempts and progress (not for its data).
 */
export type JobHandlers<Q extends QueueKey> = {
  [N in JobName<Q>]: (data: JobData<Q, N>, job: Job<unknown, unknown, N>) => Promise<unknown>;
};

type AnyHandler = (data: unknown, job: Job) => Promise<unknown>;

/**
 * The processor of one queue: hands each job to the handler of its name. Redis may hold anything
 * (a job of an older release, one added by hand), so an unknown job name or data that breaks the
 * contract fails the job at once, without retries, saying why.
 */
export function defineProcessor<Q extends QueueKey>(
  queue: Q,
  settings: Pick<ProcessorDefinition, 'concurrency' | 'limiter'>,
  handlers: JobHandlers<Q>,
): ProcessorDefinition {
  const { name: queueName, jobs } = QUEUES[queue];
  // The types above tie each handler to its job's data; at run time it is a lookup by name.
  const schemas: Readonly<Record<string, z.ZodType>> = jobs;
  const handlerOf = handlers as unknown as Readonly<Record<string, AnyHandler>>;
  return {
    queue: queueName,
    ...settings,
    async process(job: Job) {
      const schema = Object.hasOwn(schemas, job.name) ? schemas[job.name] : undefined;
      const handler = handlerOf[job.name];
      if (!schema || !handler) throw new UnrecoverableError(`unknown job "${job.name}" on ${queueName}`);
      const parsed = schema.safeParse(job.data);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'data'}: ${issue.message}`);
        throw new UnrecoverableError(`malformed "${job.name}" job on ${queueName}: ${problems.join('; ')}`);
      }
      return handler(parsed.data, job);
    },
  };
}
