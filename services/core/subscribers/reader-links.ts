import { createToken } from '../platform/tokens/tokens.js';

/**
 * The links that act for one reader, each carrying a token signed for that reader and purpose:
 * one-click unsubscribe (also a digest's List-Unsubscribe target), the preference center, and the
 * double opt-in confirmation.
 */

export interface ReaderLinkSettings {
  publicUrl: string;
  secretKey: string;
}

export interface ReaderLinks {
  unsubscribeUrl: string;
  preferencesUrl: string;
  /**
   * "Stop this topic" without its topic (`&topic=` is appended per topic). It carries the
   * preferences token: removing a topic is a preference change, and a second token would cost
   * every copy another HMAC.
   */
  stopTopicUrl: string;
}

function tokenUrl(publicUrl: string, route: string, token: string): string {
  // Tokens are URL-safe by construction (letters, digits, '.', '-', '_'), so no escaping.
  return `${publicUrl}${route}?token=${token}`;
}

/**
 * A reader's own links. Their tokens never expire: an unsubscribe link in an old email must keep
 * working (CAN-SPAM asks for 30 days at least).
 */
export function readerLinks(settings: ReaderLinkSettings, subscriberId: number): ReaderLinks {
  const unsubscribe = createToken(settings.secretKey, { subscriberId, purpose: 'unsubscribe' });
  const preferences = createToken(settings.secretKey, { subscriberId, purpose: 'preferences' });
  return {
    unsubscribeUrl: tokenUrl(settings.publicUrl, '/unsubscribe', unsubscribe),
    preferencesUrl: tokenUrl(settings.publicUrl, '/preferences', preferences),
    stopTopicUrl: tokenUrl(settings.publicUrl, '/topics/stop', preferences),
  };
}

/** The link that confirms a signup; it stops working at `expiresAt`. */
export function confirmationUrl(settings: ReaderLinkSettings, subscriberId: number, expiresAt: Date): string {
  return tokenUrl(settings.publicUrl, '/confirm', createToken(settings.secretKey, { subscriberId, purpose: 'confirm', expiresAt }));
}
