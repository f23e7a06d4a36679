import type { Runtime } from '../runtime.js';
import { editionsProcessor, editionsScheduler } from './processors/editions.js';
import { arxivIngestScheduler, ingestProcessor, ingestScheduler } from './processors/ingest.js';
import { readerMailProcessor } from './processors/reader-mail.js';
import { startReaderMailRelay } from './reader-mail-relay.js';
import { deliverProcessor, fanoutProcessor, maintenanceProcessor, retentionScheduler, sendingSchedulers } from './processors/sending.js';
import { startWorkers, type ProcessorDefinition, type SchedulerDefinition, type WorkerHost } from './worker-host.js';

/** Every queue processor of the worker role. */
function processorsFor(runtime: Runtime): ProcessorDefinition[] {
  return [
    readerMailProcessor(runtime),
    ingestProcessor(runtime),
    editionsProcessor(runtime),
    fanoutProcessor(runtime),
    deliverProcessor(runtime),
    maintenanceProcessor(runtime),
  ];
}

/** Recurring work, upserted on every start so each scheduler exists exactly once. */
function schedulersFor(runtime: Runtime): SchedulerDefinition[] {
  return [ingestScheduler(runtime), arxivIngestScheduler(), editionsScheduler(runtime), ...sendingSchedulers(), retentionScheduler()];
}

/** The queue workers and the relay that feeds reader mail from the Postgres outbox to them. */
export async function startWorkerRole(runtime: Runtime): Promise<WorkerHost> {
  const host = await startWorkers(runtime, processorsFor(runtime), schedulersFor(runtime));
  const relay = startReaderMailRelay(runtime);
  return {
    workers: host.workers,
    async close(deadlineMs) {
      await relay.close();
      await host.close(deadlineMs);
    },
  };
}
