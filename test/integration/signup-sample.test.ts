import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../services/api/app.js';
import { escapeHtml } from '../../services/core/platform/html.js';
import { rankedPapersOfDay } from '../../services/core/editions/edition-service.js';
import { importSamplePapersIfEmpty, SAMPLE_DAILY_DATE } from '../../services/core/papers/sample-papers.js';
import { createTestRuntime, PRODUCTION_ENV, type TestRuntime } from '../helpers/runtime.js';

describe('a fresh install outside production', () => {
  let test: TestRuntime;
  let app: App;
  beforeAll(async () => {
    test = await createTestRuntime('signup-sample');
    app = await buildApp(test.runtime);
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('shows the sample papers on the signup page before any edition exists, without freezing one', async () => {
    const before = await app.inject({ method: 'GET', url: '/' });
    expect(before.body).not.toContain('From the latest edition');

    expect(await importSamplePapersIfEmpty(test.runtime)).toMatchObject({ papers: 20, created: 20 });
    expect(await importSamplePapersIfEmpty(test.runtime)).toBeUndefined();

    const [top] = await rankedPapersOfDay(test.runtime, SAMPLE_DAILY_DATE);
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(escapeHtml(top!.title));
    expect(await test.runtime.database.sql`select 1 from editions`).toHaveLength(0);
  });
});

describe('a fresh production install', () => {
  let test: TestRuntime;
  let app: App;
  beforeAll(async () => {
    test = await createTestRuntime('signup-sample-production', PRODUCTION_ENV);
    app = await buildApp(test.runtime);
  });
  afterAll(async () => {
    await app?.close();
    await test?.cleanup();
  });

  it('gets no sample papers (stale news for real readers) and says the first edition is coming', async () => {
    expect(await importSamplePapersIfEmpty(test.runtime)).toBeUndefined();
    expect(await test.runtime.database.sql`select 1 from papers`).toHaveLength(0);

    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('The first edition is coming');
    expect(page.body).not.toContain('From the latest edition');
  });
});
