/**
 * A claimed slot in a reader's transactional-mail window: the subscriber repo takes it in the
 * statement that queues the email, and the email's job id is made from it.
 */
export interface MailSlot {
  subscriberId: number;
  windowStartedAt: Date;
  sentInWindow: number;
}
