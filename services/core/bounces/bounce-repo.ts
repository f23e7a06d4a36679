import type { SqlExecutor } from '../platform/db/client.js';
import type { MailEventKind } from './mail-event.js';

/** The statements behind `applyMailEvent`: finding the message, storing the event, its effects. */

export interface EventDelivery {
  id: number;
  subscriberId: number;
  sendRunId: number;
}

interface DeliveryRow {
  id: string;
  subscriber_id: string;
  send_run_id: string;
}

const toDelivery = (row: DeliveryRow | undefined): EventDelivery | undefined =>
  row && { id: Number(row.id), subscriberId: Number(row.subscriber_id), sendRunId: Number(row.send_run_id) };

/** Any edition's delivery: the id alone (each partition's primary key is probed once). */
export async function findDeliveryById(sql: SqlExecutor, id: number): Promise<EventDelivery | undefined> {
  const [row] = await sql<DeliveryRow[]>`select id, subscriber_id, send_run_id from deliveries where id = ${id}`;
  return toDelivery(row);
}

export interface AddressedReader {
  subscriberId: number;
  /** Their latest digest accepted by the server (sent, or bounced since) no later than asked; none when there is none. */
  delivery: EventDelivery | undefined;
}

/**
 * The reader with this normalized address (subscribers_email_normalized_key) and their latest
 * accepted digest sent at or before `sentBy` (a reader has one delivery per edition, found through
 * deliveries_reader_copy_key). Bounced copies count: a complaint may follow a bounce report
 * of the same message from another source.
 */
export async function findReaderByAddress(sql: SqlExecutor, emailNormalized: string, sentBy: Date): Promise<AddressedReader | undefined> {
  const [row] = await sql<{ subscriber_id: string; id: string | null; send_run_id: string | null }[]>`
    select s.id as subscriber_id, d.id, d.send_run_id
    from subscribers s
    left join lateral (
      select id, send_run_id from deliveries
      where subscriber_id = s.id and status in ('sent', 'bounced') and sent_at <= ${sentBy}
      order by sent_at desc, id desc
      limit 1
    ) d on true
    where s.email_normalized = ${emailNormalized}`;
  if (!row) return undefined;
  const subscriberId = Number(row.subscriber_id);
  return {
    subscriberId,
    delivery: row.id === null ? undefined : { id: Number(row.id), subscriberId, sendRunId: Number(row.send_run_id) },
  };
}

/**
 * Takes the reader's row lock for the rest of the transaction. Every event about one reader
 * takes it first, so two events for the same reader apply one after the other (the second one's
 * soft-bounce count sees the first) and never deadlock.
 */
export async function lockSubscriber(sql: SqlExecutor, id: number): Promise<boolean> {
  const rows = await sql`select id from subscribers where id = ${id} for update`;
  return rows.length > 0;
}

export interface NewMailEvent {
  source: string;
  eventKey: string;
  kind: MailEventKind;
  deliveryId: number | null;
  subscriberId: number;
  sendRunId: number | null;
  detail: string;
  occurredAt: Date;
}

/** Stores an event once per (source, event key); undefined when it was stored before. */
export async function insertMailEvent(sql: SqlExecutor, event: NewMailEvent): Promise<number | undefined> {
  const [row] = await sql<{ id: string }[]>`
    insert into mail_events (source, event_key, kind, delivery_id, subscriber_id, send_run_id, detail, occurred_at)
    values (${event.source}, ${event.eventKey}, ${event.kind}::mail_event_kind, ${event.deliveryId}, ${event.subscriberId},
            ${event.sendRunId}, ${event.detail}, ${event.occurredAt})
    on conflict (source, event_key) do nothing
    returning id`;
  return row ? Number(row.id) : undefined;
}

/**
 * sent → bounced. True only for the call that changed it, so however many reports and sources
 * tell of one bounce, the run counts it once. A delivery still `claimed` is one whose 250 came
 * back but whose sent mark is not written yet (a relay that bounces at once can report faster
 * than the worker writes): it becomes bounced too, and the late sent mark keeps that status
 * (markDeliveriesSent). A bounce of a sent delivery of a finished run moves one from sent to
 * bounced in the counts the run stored when it ended (send_runs.delivery_counts); the row lock
 * taken first makes the status it moves from the one it replaced.
 */
export async function markDeliveryBounced(sql: SqlExecutor, id: number, detail: string): Promise<boolean> {
  const rows = await sql`
    with before as (
      select id, edition_id, send_run_id, status from deliveries where id = ${id} and status in ('sent', 'claimed') for update
    ), bounced as (
      update deliveries d set status = 'bounced', last_error = ${detail}
      from before where d.id = before.id and d.edition_id = before.edition_id
      returning before.send_run_id, before.status as was
    ), recounted as (
      update send_runs r
      set delivery_counts = r.delivery_counts
        || jsonb_build_object('sent', (r.delivery_counts->>'sent')::int - 1, 'bounced', (r.delivery_counts->>'bounced')::int + 1)
      from bounced where r.id = bounced.send_run_id and bounced.was = 'sent' and r.delivery_counts is not null
    )
    select 1 from bounced`;
  return rows.length > 0;
}

/** True when the reader complained about this delivery before (another report or source). */
export async function hasEarlierComplaint(sql: SqlExecutor, subscriberId: number, deliveryId: number, exceptEventId: number): Promise<boolean> {
  const rows = await sql`
    select 1 from mail_events
    where subscriber_id = ${subscriberId} and delivery_id = ${deliveryId} and kind = 'complaint' and id <> ${exceptEventId}
    limit 1`;
  return rows.length > 0;
}

export interface LedgerEntry {
  deliveryId: number;
  softBounced: boolean;
}

/**
 * The reader's accepted digests around `deliveryId` (up to `reach` before it and `reach` from it
 * on, in send order), each with whether a soft bounce came back for it. Read from the ledger and
 * the events, so the send path writes nothing for the streak.
 */
export async function softBounceNeighbourhood(sql: SqlExecutor, subscriberId: number, deliveryId: number, reach: number): Promise<LedgerEntry[]> {
  const rows = await sql<{ id: string; soft_bounced: boolean }[]>`
    with around as (
      (select id from deliveries where subscriber_id = ${subscriberId} and status in ('sent', 'bounced') and id < ${deliveryId}
       order by id desc limit ${reach})
      union all
      (select id from deliveries where subscriber_id = ${subscriberId} and status in ('sent', 'bounced') and id >= ${deliveryId}
       order by id asc limit ${reach})
    )
    select a.id, exists (
      select 1 from mail_events e where e.subscriber_id = ${subscriberId} and e.delivery_id = a.id and e.kind = 'soft_bounce'
    ) as soft_bounced
    from around a order by a.id`;
  return rows.map((row) => ({ deliveryId: Number(row.id), softBounced: row.soft_bounced }));
}

export async function setSoftBounceStreak(sql: SqlExecutor, subscriberId: number, streak: number): Promise<void> {
  await sql`update subscribers set soft_bounce_streak = ${Math.min(streak, 32767)} where id = ${subscriberId}`;
}
