import { describe, expect, it } from 'vitest';
import { classifySmtpFailure } from '../../services/core/platform/mail/smtp-failure.js';
import { createSmtpUtf8Support, smtpUtf8SendError } from '../../services/core/platform/mail/smtputf8.js';

/** A probe whose answers the test hands out one at a time. */
function scriptedProbe(answers: Array<boolean | Error>) {
  let calls = 0;
  const probe = async () => {
    const answer = answers[calls++];
    if (answer === undefined) throw new Error('asked more often than expected');
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { probe, calls: () => calls };
}

describe('SMTPUTF8 support, asked lazily and kept', () => {
  it('asks once for concurrent callers and keeps a yes until it expires', async () => {
    let now = 0;
    const { probe, calls } = scriptedProbe([true, false]);
    const support = createSmtpUtf8Support(probe, { knownForMs: 1000, now: () => now });
    expect(calls()).toBe(0);
    const answers = await Promise.all([support(), support(), support()]);
    expect(answers).toEqual([{ support: 'offered' }, { support: 'offered' }, { support: 'offered' }]);
    now = 999;
    expect(await support()).toEqual({ support: 'offered' });
    expect(calls()).toBe(1);
    now = 1000;
    expect(await support()).toEqual({ support: 'not-offered' });
    expect(calls()).toBe(2);
  });

  it('answers unknown when the server cannot be asked, and asks again sooner', async () => {
    let now = 0;
    const { probe, calls } = scriptedProbe([new Error('connect ECONNREFUSED 127.0.0.1:25'), true]);
    const support = createSmtpUtf8Support(probe, { knownForMs: 60_000, unknownForMs: 100, now: () => now });
    expect(await support()).toEqual({ support: 'unknown', problem: 'connect ECONNREFUSED 127.0.0.1:25' });
    now = 50;
    expect((await support()).support).toBe('unknown');
    now = 100;
    expect(await support()).toEqual({ support: 'offered' });
    expect(calls()).toBe(2);
  });
});

describe('the error of a send that SMTPUTF8 cannot carry', () => {
  it('is a permanent refusal of the recipient when the server does not offer SMTPUTF8, so the reader is suppressed', () => {
    const failure = classifySmtpFailure(smtpUtf8SendError({ support: 'not-offered' }));
    expect(failure).toMatchObject({ kind: 'permanent-recipient', responseCode: 553, enhancedStatus: '5.6.7' });
    expect(failure.reason).toContain('does not offer SMTPUTF8');
  });

  it('is retried when the server could not be asked', () => {
    const failure = classifySmtpFailure(smtpUtf8SendError({ support: 'unknown', problem: 'Greeting never received' }));
    expect(failure.kind).toBe('transient');
    expect(failure.reason).toContain('Greeting never received');
  });
});
