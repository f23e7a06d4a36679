import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpsServer } from '../../services/api/ops-server.js';
import type { ApiServer } from '../../services/api/server.js';
import { runFanout } from '../../services/core/sending/fanout-service.js';
import { completeSendRunIfSettled } from '../../services/core/sending/send-run-repo.js';
import { startManualSend } from '../../services/core/sending/send-service.js';
import { DEFAULT_PREFERENCES } from '../../services/core/subscribers/preferences.js';
import { insertPendingSubscriber } from '../../services/core/subscribers/subscriber-repo.js';
import { importFixtureDay, insertReaders } from '../helpers/factories.js';
import { freePort } from '../helpers/processes.js';
import type { Runtime } from '../../services/runtime.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

describe('operators: a worker-only process serves its own /metrics', () => {
  let test: TestRuntime;
  let server: ApiServer;

  beforeAll(async () => {
    test = await createTestRuntime('ops-worker-metrics', { PORT: String(await freePort()), HOST: '127.0.0.1' });
    server = await startOpsServer(test.runtime);
  });
  afterAll(async () => {
    await server?.close();
    await test?.cleanup();
  });

  it('answers Prometheus text with the delivery counters and queue gauges of this process', async () => {
    test.runtime.metrics.recordDelivery({ status: 'sent', latencyMs: 12 });
    test.runtime.metrics.recordDelivery({ status: 'failed', reason: 'permanent-recipient' });
    await test.runtime.queues.maintenance.add('ops-worker-metrics-probe', {}, { jobId: 'ops-worker-metrics-probe' });
    // A signup whose confirmation no relay has moved yet.
    await insertPendingSubscriber(test.runtime.database.sql, {
      email: 'owed@example.org',
      emailNormalized: 'owed@example.org',
      preferences: { ...DEFAULT_PREFERENCES },
      consent: { at: new Date(), ip: null, userAgent: null, form: 'signup-v1', source: 'api' },
      now: new Date(),
    });

    const response = await fetch(`${server.address}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/^# HELP paperboy_emails_sent_total /m);
    expect(text).toMatch(/^# TYPE paperboy_smtp_send_duration_seconds histogram$/m);
    expect(text).toMatch(/^paperboy_emails_sent_total 1$/m);
    expect(text).toMatch(/^paperboy_emails_failed_total\{reason="permanent-recipient"\} 1$/m);
    expect(text).toMatch(/^paperboy_queue_jobs\{queue="maintenance",state="waiting"\} 1$/m);
    expect(text).toMatch(/^paperboy_queue_oldest_waiting_seconds\{queue="maintenance"\} \d/m);
    expect(text).toMatch(/^paperboy_reader_mail_outbox 1$/m);
    expect(text).toMatch(/^paperboy_reader_mail_outbox_oldest_seconds \d/m);
    expect(text).toMatch(/^paperboy_process_resident_memory_bytes \d+/m);
    // Health stays as it was.
    expect((await fetch(`${server.address}/healthz`)).status).toBe(200);
  });

  it('serves /metrics only with the bearer METRICS_TOKEN when it is set', async () => {
    const guarded: Runtime = {
      ...test.runtime,
      config: { ...test.config, metricsToken: 'scrape-token-0123456789', http: { ...test.config.http, port: await freePort() } },
    };
    const guardedServer = await startOpsServer(guarded);
    try {
      expect((await fetch(`${guardedServer.address}/metrics`)).status).toBe(401);
      const wrong = await fetch(`${guardedServer.address}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${guardedServer.address}/metrics`, { headers: { authorization: 'Bearer scrape-token-0123456789' } });
      expect(right.status).toBe(200);
      expect(await right.text()).toMatch(/^# HELP /m);
      // The orchestrator's probes need no token.
      expect((await fetch(`${guardedServer.address}/healthz`)).status).toBe(200);
    } finally {
      await guardedServer.close();
    }
  });

  it('reports each unfinished send run by status and settled share, and drops a run once completed', async () => {
    const { sql } = test.runtime.database;
    await importFixtureDay(test.runtime, '2026-08-13');
    await insertReaders(sql, 3);
    const run = await startManualSend(test.runtime, '2026-08-13', 'test');
    await runFanout(test.runtime, run.id);
    const [first] = await sql<{ id: string }[]>`select id from deliveries where send_run_id = ${run.id} order by id limit 1`;
    await sql`update deliveries set status = 'sent' where id = ${first!.id}`;
    const scrape = async () => (await fetch(`${server.address}/metrics`)).text();

    const during = await scrape();
    const labels = `run_id="${run.id}",edition="2026-08-13"`;
    expect(during).toMatch(new RegExp(`^paperboy_send_run_progress_ratio\\{${labels},kind="manual"\\} 0\\.333`, 'm'));
    expect(during).toContain(`paperboy_send_run_deliveries{${labels},status="queued"} 2\n`);
    expect(during).toContain(`paperboy_send_run_deliveries{${labels},status="sent"} 1\n`);
    expect(during).toContain(`paperboy_send_run_deliveries{${labels},status="failed"} 0\n`);

    await sql`update deliveries set status = 'sent' where send_run_id = ${run.id}`;
    expect(await completeSendRunIfSettled(sql, run.id)).toBe(true);
    const after = await scrape();
    expect(after).not.toContain(`run_id="${run.id}"`);
    expect(after).toMatch(/^# TYPE paperboy_send_run_progress_ratio gauge$/m);
  });
});
