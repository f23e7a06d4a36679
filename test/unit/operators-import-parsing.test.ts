import { describe, expect, it } from 'vitest';
import { createAdminCookieValue, verifyAdminCookieValue } from '../../services/api/admin-auth.js';
import { JsonStreamError, jsonObjects } from '../../services/core/subscribers/json-items.js';
import { checkImportRecord } from '../../services/core/subscribers/subscriber-import.js';

async function collect(chunks: Array<string | Buffer>) {
  const items = [];
  for await (const item of jsonObjects((async function* () {
    yield* chunks;
  })())) items.push(item);
  return items;
}

describe('jsonObjects: top-level objects of a JSON stream', () => {
  it('splits an array cut at any point, strings with braces and escapes included', async () => {
    const text = '[ {"email":"a@x.org","topics":["{[", "\\"}"]}, {"email":"b@x.org"} ]';
    for (let cut = 1; cut < text.length; cut++) {
      const items = await collect([text.slice(0, cut), text.slice(cut)]);
      expect(items, `cut at ${cut}`).toEqual([
        { item: 1, value: { email: 'a@x.org', topics: ['{[', '"}'] } },
        { item: 2, value: { email: 'b@x.org' } },
      ]);
    }
  });

  it('reads NDJSON and a UTF-8 character split between chunks', async () => {
    const bytes = Buffer.from('{"email":"zoë@x.org"}\n{"email":"b@x.org"}\n');
    const split = bytes.indexOf(0xc3) + 1; // between the two bytes of "ë"
    const items = await collect([bytes.subarray(0, split), bytes.subarray(split)]);
    expect(items.map((item) => item.value)).toEqual([{ email: 'zoë@x.org' }, { email: 'b@x.org' }]);
  });

  it('names the item where the JSON breaks', async () => {
    await expect(collect(['[{"email":"a@x.org"}, {"email": ]'])).rejects.toThrow(JsonStreamError);
    await expect(collect(['[{"email":"a@x.org"}, {"email": ]'])).rejects.toMatchObject({ item: 2 });
    await expect(collect(['[{"a":1}'])).rejects.toThrow(/not closed/);
    await expect(collect(['["a@x.org"]'])).rejects.toThrow(/Expected an object/);
  });
});

describe('checkImportRecord', () => {
  it('imports as confirmed only with stated consent, keeps opt-outs, and explains bad values', () => {
    expect(checkImportRecord({ email: ' Ada@Example.org ' }, true)).toMatchObject({ ok: true, row: { email: 'Ada@Example.org', emailNormalized: 'ada@example.org', status: 'confirmed' } });
    expect(checkImportRecord({ email: 'ada@example.org' }, false)).toMatchObject({ ok: true, row: { status: 'pending' } });
    expect(checkImportRecord({ email: 'ada@example.org', status: 'unsubscribed' }, true)).toMatchObject({ ok: true, row: { status: 'unsubscribed' } });
    expect(checkImportRecord({ email: 'ada@example.org', topics: 'LLM; diffusion' }, true)).toMatchObject({ ok: true, row: { topics: ['llm', 'diffusion'] } });
    expect(checkImportRecord({ email: 'nope' }, true)).toMatchObject({ ok: false, message: expect.stringMatching(/^email:/) });
    expect(checkImportRecord({ email: 'ada@example.org', status: 'vip' }, true)).toMatchObject({ ok: false, message: expect.stringMatching(/^status:/) });
    expect(checkImportRecord({ email: 'ada@example.org', sendHour: '24' }, true)).toMatchObject({ ok: false, message: expect.stringMatching(/sendHour/) });
    expect(checkImportRecord({ email: 'ada@example.org', consentAt: 'last week' }, true)).toMatchObject({ ok: false, message: expect.stringMatching(/consent_at/) });
  });
});

describe('the dashboard cookie', () => {
  const tokens = [{ name: 'alice', secret: 'alice-secret' }];
  it('is accepted until it expires and only while its token is configured', () => {
    const value = createAdminCookieValue('key', tokens[0]!, 2000);
    expect(value).not.toContain('alice-secret');
    expect(verifyAdminCookieValue(tokens, 'key', value, 1000)?.name).toBe('alice');
    expect(verifyAdminCookieValue(tokens, 'key', value, 2001)).toBeUndefined();
    expect(verifyAdminCookieValue([{ name: 'alice', secret: 'rotated' }], 'key', value, 1000)).toBeUndefined();
    expect(verifyAdminCookieValue(tokens, 'other-key', value, 1000)).toBeUndefined();
    expect(verifyAdminCookieValue(tokens, 'key', value.replace('.2000.', '.9999.'), 1000)).toBeUndefined();
  });
});
