import type { Runtime } from '../shared/runtime.js';
import { startWorkers, type ProcessorDefinition, type SchedulerDefinition, type WorkerHost } from './worker-host.js';

/** Every queue processor of the worker role. */
function processorsFor(_runtime: Runtime): ProcessorDefinition[] {
  return [];
}

/** Recurring work, upserted on every start so each scheduler exists exactly once. */
function schedulersFor(_runtime: Runtime): SchedulerDefinition[] {
  return [];
}

export async function startWorkerRole(runtime: Runtime): Promise<WorkerHost> {
  return startWorkers(runtime, processorsFor(runtime), schedulersFor(runtime));
}
