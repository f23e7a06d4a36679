import { withoutAddresses, type MailEvent } from '../mail-event.js';

/**
 * What the Postmark, SendGrid and Mailgun readers share: the shape of what a webhook request
 * said, the signature window, and how times and details are taken from a payload.
 */

/**
 * A request's events to apply, and a line for each one it held that is not ours to act on (a
 * delivery, an open, a deferral); or, when the body cannot be read at all, what is wrong with it.
 */
export type ProviderReading = { events: MailEvent[]; ignored: string[] } | { malformed: string };

/** How far a signed timestamp may be from our clock, either way: farther, the request is stale (or replayed). */
export const SIGNATURE_WINDOW_SECONDS = 10 * 60;

/** Whether a signed Unix time (seconds) is within the window around `now`. */
export function withinSignatureWindow(unixSeconds: number, now: Date): boolean {
  return Math.abs(now.getTime() / 1000 - unixSeconds) <= SIGNATURE_WINDOW_SECONDS;
}

/**
 * A provider's diagnostic made fit to store and log: addresses taken out (the detail outlives an
 * erased reader), one line, at most 500 characters.
 */
export function storedDetail(parts: ReadonlyArray<string | number | undefined>): string {
  return withoutAddresses(parts.filter((part) => part !== undefined && part !== '').join(' '))
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 500);
}
