import { describe, expect, it } from 'vitest';
import { classifySmtpFailure, enhancedStatusOf, throttleBackoffMs } from '../../services/core/platform/mail/smtp-failure.js';

/** An error shaped like nodemailer's for a rejected command. */
function smtpError(responseCode: number, response: string, command = 'RCPT TO', code = 'EENVELOPE') {
  return Object.assign(new Error(`Can't send mail - all recipients were rejected: ${response}`), {
    code,
    command,
    response,
    responseCode,
    permanent: responseCode >= 500,
  });
}

function connectionError(code: string, message: string) {
  return Object.assign(new Error(message), { code, command: 'CONN' });
}

describe('classifySmtpFailure', () => {
  it.each([
    ['451 4.7.1 Greylisted, try again later', 451],
    ['450 4.2.1 Mailbox busy', 450],
    ['452 4.2.2 Mailbox full', 452],
    ['451 Requested action aborted: local error', 451],
    ['450 4.7.1 <x@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/', 450],
    // Gmail: this one reader gets too much mail; slowing every reader down would not help.
    ['450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered', 450],
  ])('retries %s', (response, code) => {
    expect(classifySmtpFailure(smtpError(code, response)).kind).toBe('transient');
  });

  it.each([
    ['421 4.7.0 Too many connections, closing', 421],
    ['421 Service not available, closing transmission channel', 421],
    ['451 4.7.0 Temporary server error. Please try again later', 451],
    ['451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77719)', 451],
    ['454 Throttling failure: Maximum sending rate exceeded.', 454],
    ['454 Throttling failure: Daily message quota exceeded.', 454],
  ])('defers and slows the send down for a throttling reply: %s', (response, code) => {
    expect(classifySmtpFailure(smtpError(code, response)).kind).toBe('throttled');
  });

  it.each([
    '554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message.',
    '554 5.2.2 mailbox full; STOREDRV.Submission.Exception:SubmissionQuotaExceededException',
    '550 5.4.5 Daily user sending quota exceeded.',
  ])('defers a spent sending quota instead of failing the reader: %s', (response) => {
    expect(classifySmtpFailure(smtpError(Number(response.slice(0, 3)), response, 'DATA')).kind).toBe('throttled');
  });

  it.each([
    '552 5.2.2 Mailbox full',
    '552 5.2.2 <x@example.org>: Recipient address rejected: Quota exceeded for this mailbox',
    '552 Requested mail action aborted: exceeded storage allocation, mailbox full',
  ])('retries a full mailbox later (a soft bounce) instead of failing the reader: %s', (response) => {
    expect(classifySmtpFailure(smtpError(552, response)).kind).toBe('transient');
  });

  it('backs off longer for a spent quota than for a server asking to slow down', () => {
    expect(throttleBackoffMs(classifySmtpFailure(smtpError(421, '421 4.7.0 Try again later')), 5000)).toBe(5000);
    expect(throttleBackoffMs(classifySmtpFailure(smtpError(554, '554 5.2.0 SubmissionQuotaExceededException')), 5000)).toBe(60_000);
  });

  it('retries a 5xx basic code carrying a 4.x.x enhanced status (the enhanced class wins)', () => {
    expect(classifySmtpFailure(smtpError(550, '550 4.7.1 Temporarily deferred')).kind).toBe('transient');
  });

  it.each([
    ['ECONNECTION', 'connect ECONNREFUSED 127.0.0.1:2525'],
    ['ETIMEDOUT', 'Greeting never received'],
    ['ESOCKET', 'read ECONNRESET'],
    ['ECONNECTION', 'Connection closed unexpectedly'],
  ])('retries connection failures (%s)', (code, message) => {
    expect(classifySmtpFailure(connectionError(code, message)).kind).toBe('transient');
  });

  it('retries a lost connection even without a code', () => {
    expect(classifySmtpFailure(new Error('Connection lost to the server')).kind).toBe('transient');
  });

  it.each([
    '550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table',
    '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup',
    '550-5.1.1 The email account that you tried to reach does not exist.',
    '550 5.2.1 The email account that you tried to reach is disabled.',
    '553 5.1.3 Bad recipient address syntax',
    '550 No such user here',
    '550 User unknown',
    '551 User not local; please try <forward@example.org>',
    '553 5.6.7 Non-ASCII address requires SMTPUTF8',
  ])('fails and suppresses a recipient that does not exist or cannot be addressed: %s', (response) => {
    const failure = classifySmtpFailure(smtpError(Number(response.slice(0, 3)), response));
    expect(failure.kind).toBe('permanent-recipient');
  });

  it.each([
    '550 5.7.1 Message rejected as spam',
    '550-5.7.26 Unauthenticated email from example.org is not accepted due to domain\'s DMARC policy.',
    '554 5.7.1 Service unavailable; Client host blocked using zen.spamhaus.org',
    '550 5.7.1 Messages missing a valid Message-ID header are not accepted',
    '552 5.3.4 Message size exceeds fixed limit',
    '550 5.1.8 Sender address rejected: Domain not found',
    '550 Relaying denied',
    '554 Transaction failed',
    '550 Recipient address rejected: Access denied',
  ])('fails without suppressing when the message, not the mailbox, was refused: %s', (response) => {
    const failure = classifySmtpFailure(smtpError(Number(response.slice(0, 3)), response, response.includes('size') ? 'DATA' : 'RCPT TO'));
    expect(failure.kind).toBe('permanent-message');
  });

  it('reads the enhanced status and the basic code and writes a reason line', () => {
    const failure = classifySmtpFailure(smtpError(550, '550 5.1.1 <x@example.com>: Recipient address rejected:\r\n User unknown'));
    expect(failure).toMatchObject({ responseCode: 550, enhancedStatus: '5.1.1' });
    expect(failure.reason).toBe('550: 550 5.1.1 <x@example.com>: Recipient address rejected: User unknown');
  });

  it('reads the basic code from the response when responseCode is missing', () => {
    const error = Object.assign(new Error('rejected'), { response: '550 5.1.1 User unknown' });
    expect(classifySmtpFailure(error)).toMatchObject({ kind: 'permanent-recipient', responseCode: 550 });
  });

  it('treats errors it does not understand as transient (attempts are bounded)', () => {
    expect(classifySmtpFailure(new Error('something odd')).kind).toBe('transient');
    expect(classifySmtpFailure('a string').kind).toBe('transient');
    expect(classifySmtpFailure(undefined).kind).toBe('transient');
  });
});

describe('enhancedStatusOf', () => {
  it('finds the RFC 3463 code after the basic one', () => {
    expect(enhancedStatusOf('550 5.1.1 User unknown')).toBe('5.1.1');
    expect(enhancedStatusOf('550-5.7.26 Unauthenticated')).toBe('5.7.26');
    expect(enhancedStatusOf('451 Try later')).toBeUndefined();
    expect(enhancedStatusOf('550 Version 1.2.3 of the policy')).toBeUndefined();
  });
});
