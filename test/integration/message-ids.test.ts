import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleEdition, getEditionWithPapers } from '../../services/core/editions/edition-service.js';
import { createDatabaseClient } from '../../services/core/platform/db/client.js';
import { createEditionMessages } from '../../services/core/sending/edition-messages.js';
import { createTestDatabase, dropDatabase, TEST_POSTGRES_SERVER } from '../helpers/database.js';
import { importFixtureDay } from '../helpers/factories.js';
import { createTestRuntime, type TestRuntime } from '../helpers/runtime.js';

const DAY = '2026-02-03';
const reader = { subscriberId: 1, email: 'reader@example.org', deliveryId: 1 };
const sentAt = new Date('2026-02-04T06:30:00Z');

/** The Message-ID a worker of this installation gives delivery 1 of the day's edition. */
async function messageIdOfDeliveryOne(test: TestRuntime): Promise<string> {
  const paperIds = (await getEditionWithPapers(test.runtime, DAY))!.papers.slice(0, 3).map((paper) => paper.id);
  const edition = await createEditionMessages(test.runtime).forEdition(DAY);
  return (await edition.build(paperIds, reader, sentAt)).messageId;
}

describe('Message-IDs', () => {
  const installations: TestRuntime[] = [];
  beforeAll(async () => {
    for (const label of ['message_ids_a', 'message_ids_b']) {
      const test = await createTestRuntime(label);
      await importFixtureDay(test.runtime, DAY);
      await assembleEdition(test.runtime, DAY);
      installations.push(test);
    }
  });
  afterAll(async () => {
    for (const test of installations) await test.cleanup();
  });

  it('differ between two installations for the same delivery id, and stay the same for a retry', async () => {
    const [a, b] = installations as [TestRuntime, TestRuntime];
    const first = await messageIdOfDeliveryOne(a);
    expect(first).toMatch(/^<digest\.1\.[0-9a-f]{16}@localhost>$/);
    expect(await messageIdOfDeliveryOne(b)).not.toBe(first);

    // A retry in another process (a new database client) reads the same installation id.
    const again = createDatabaseClient({ url: a.database.url });
    try {
      expect(await again.installationId()).toBe(await a.runtime.database.installationId());
    } finally {
      await again.close();
    }
    expect(await messageIdOfDeliveryOne(a)).toBe(first);
  });

  it('get a new installation id in a copy of a database, whose delivery ids repeat the original\'s', async () => {
    const original = await createTestDatabase('message_ids_original');
    const copyName = `${original.name}_copy`;
    const admin = postgres(`${TEST_POSTGRES_SERVER}/postgres`, { max: 1, onnotice: () => {} });
    try {
      const originalClient = createDatabaseClient({ url: original.url });
      const originalId = await originalClient.installationId();
      await originalClient.close();
      // A template copy needs the original to have no sessions, as a dump and restore would.
      await admin.unsafe(`create database "${copyName}" template "${original.name}"`);
      const ids: string[] = [];
      for (let process = 0; process < 2; process++) {
        const copy = createDatabaseClient({ url: `${TEST_POSTGRES_SERVER}/${copyName}` });
        ids.push(await copy.installationId());
        await copy.close();
      }
      expect(ids[0]).not.toBe(originalId);
      expect(ids[1]).toBe(ids[0]);
    } finally {
      await admin.end();
      await dropDatabase(TEST_POSTGRES_SERVER, copyName);
      await original.drop();
    }
  });
});
