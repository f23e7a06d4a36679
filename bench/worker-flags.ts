/**
 * The worker's NODE_OPTIONS in docker-compose.yml, so the bench measures the worker as deployed
 * (a test keeps the two equal). The live heap stays under ~70 MB at a million readers; the bound
 * makes V8 collect before garbage piles up to several hundred MB.
 */
export const DEPLOYED_WORKER_FLAGS = ['--max-old-space-size=256'];
