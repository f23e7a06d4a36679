import { createToken } from '../platform/tokens/tokens.js';

/**
 * A reader's own links in a digest: one-click unsubscribe (also the List-Unsubscribe target)
 * and the preference center. The tokens never expire: an unsubscribe link in an old email
 * must keep working (CAN-SPAM asks for 30 days at least).
 */
export interface ReaderLinks {
  unsubscribeUrl: string;
  preferencesUrl: string;
}

export function readerLinks(settings: { publicUrl: string; secretKey: string }, subscriberId: number): ReaderLinks {
  const unsubscribe = createToken(settings.secretKey, { subscriberId, purpose: 'unsubscribe' });
  const preferences = createToken(settings.secretKey, { subscriberId, purpose: 'preferences' });
  // Tokens are URL-safe by construction (letters, digits, '.', '-', '_'), so no escaping.
  return {
    unsubscribeUrl: `${settings.publicUrl}/unsubscribe?token=${unsubscribe}`,
    preferencesUrl: `${settings.publicUrl}/preferences?token=${preferences}`,
  };
}
