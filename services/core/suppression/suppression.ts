import { createHash } from 'node:crypto';
import { normalizeEmailAddress } from '../subscribers/email-address.js';

/**
 * The key of the suppression list: a SHA-256 of the normalised address, so an erased reader's
 * address is not kept in clear text, yet a new signup of it is still recognised and refused.
 */
export function suppressionHash(address: string): string {
  return createHash('sha256').update(normalizeEmailAddress(address), 'utf8').digest('hex');
}
