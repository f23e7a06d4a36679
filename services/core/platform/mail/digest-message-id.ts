/**
 * A digest's Message-ID: `<digest.{deliveryId}.{installationId}@{domain}>`. The same for every
 * attempt of one delivery, and never the same in two installations, whose delivery ids both start
 * at 1. It is formed from what the ledger holds, so it is not stored: a provider event that names
 * it leads back to the delivery by the id it carries (deliveryIdOfMessageId).
 */
export function digestMessageId(deliveryId: number | string, installationId: string, domain: string): string {
  const id = String(deliveryId);
  if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new Error(`delivery id "${id}" cannot go into a Message-ID`);
  return `<digest.${id}.${installationId}@${domain}>`;
}

const DIGEST_MESSAGE_ID = /^<?digest\.([0-9]{1,18})\.([0-9a-f]+)@[^<>\s]+>?$/;

/**
 * The delivery id in a Message-ID this installation gave a digest (angle brackets optional, as
 * providers give them); undefined for any other Message-ID, including another installation's,
 * whose delivery ids name other readers.
 */
export function deliveryIdOfMessageId(messageId: string, installationId: string): number | undefined {
  const match = DIGEST_MESSAGE_ID.exec(messageId.trim());
  if (!match || match[2] !== installationId) return undefined;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}
