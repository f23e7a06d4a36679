import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifySmtpFailure } from '../../services/core/platform/mail/smtp-failure.js';
import { suppressionHash, suppressionHashOf } from '../../services/core/suppression/suppression-repo.js';
import { suppressAfterSmtpRefusal } from '../../services/core/suppression/suppression-service.js';
import { normalizeEmailAddress } from '../../services/core/platform/mail/email-address.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/** The suppression list's two forms of the hash, and the one decision that adds to it after a bounce. */

let database: TestDatabase;
let sql: postgres.Sql;

beforeAll(async () => {
  database = await createTestDatabase('suppression');
  sql = postgres(database.url, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await database?.drop();
});

async function addReader(address: string): Promise<number> {
  const [row] = await sql<{ id: number }[]>`
    insert into subscribers (email, email_normalized) values (${address}, ${normalizeEmailAddress(address)}) returning id`;
  return Number(row!.id);
}

async function suppressionOf(address: string): Promise<{ reason: string; detail: string | null } | undefined> {
  const [row] = await sql<{ reason: string; detail: string | null }[]>`
    select reason, detail from suppressions where email_hash = ${suppressionHash(address)}`;
  return row;
}

describe('the suppression hash', () => {
  it('is the same computed in Postgres as in JavaScript, non-ASCII addresses included', async () => {
    const addresses = ['reader@example.org', ' Mixed.Case@Example.ORG ', "o'brien+news@example.org", 'jürgen@bücher.example', '读者@例子.测试'];
    for (const address of addresses) {
      const [row] = await sql<{ hash: string }[]>`
        select ${suppressionHashOf(sql, 'address')} as hash from (select ${normalizeEmailAddress(address)}::text as address) as given`;
      expect(row?.hash, address).toBe(suppressionHash(address));
    }
  });
});

describe('suppressAfterSmtpRefusal', () => {
  it('suppresses a reader whose mailbox does not exist, keyed by the hash every check uses', async () => {
    const address = 'Gone.Reader@example.org';
    const id = await addReader(address);
    const failure = classifySmtpFailure({ responseCode: 550, response: '550 5.1.1 <gone.reader@example.org>: user unknown', command: 'RCPT TO' });
    expect(await suppressAfterSmtpRefusal(sql, id, failure)).toBe(true);
    expect(await suppressionOf(address)).toEqual({ reason: 'hard_bounce', detail: failure.reason });
  });

  it('keeps a reader whose message was refused for the sender\'s reasons', async () => {
    const address = 'kept-reader@example.org';
    const id = await addReader(address);
    const failure = classifySmtpFailure({ responseCode: 550, response: '550 5.7.1 message rejected as spam', command: 'DATA' });
    expect(await suppressAfterSmtpRefusal(sql, id, failure)).toBe(false);
    expect(await suppressionOf(address)).toBeUndefined();
  });
});
