import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

/**
 * The whole data model. Postgres is the source of truth; Redis only coordinates work, so every
 * guarantee about email (one delivery per run and reader, never a paper twice) is a key here.
 */

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

// ---------------------------------------------------------------- papers

export const papers = pgTable('papers', {
  /** arXiv id without version suffix, e.g. "2602.01234". */
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  abstract: text('abstract').notNull(),
  /** Visible author names in arXiv order (hidden authors are dropped at parse time). */
  authors: text('authors').array().notNull().default(sql`'{}'::text[]`),
  /** arXiv publication instant (`paper.publishedAt`). */
  publishedAt: timestamp('published_at', { withTimezone: true }).notNull(),
  aiSummary: text('ai_summary'),
  aiKeywords: text('ai_keywords').array().notNull().default(sql`'{}'::text[]`),
  githubRepo: text('github_repo'),
  githubStars: integer('github_stars'),
  projectPage: text('project_page'),
  thumbnailUrl: text('thumbnail_url'),
  organization: text('organization'),
  /** Display name of who submitted the paper to Daily Papers (HF's submittedBy / submittedOnDailyBy). */
  submittedBy: text('submitted_by'),
  /** Latest observed counts; the history is in paper_stats. */
  upvotes: integer('upvotes').notNull().default(0),
  numComments: integer('num_comments').notNull().default(0),
  /** arXiv's primary category (`cs.CL`), when arXiv said (its API does, its RSS feed does not). */
  primaryCategory: text('primary_category'),
  /** Every arXiv category of the paper, primary first when known; empty for a paper only HF named. */
  categories: text('categories').array().notNull().default(sql`'{}'::text[]`),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** A paper featured on a Daily Papers date. One paper may be featured on several dates. */
export const paperAppearances = pgTable(
  'paper_appearances',
  {
    paperId: text('paper_id')
      .notNull()
      .references(() => papers.id, { onDelete: 'cascade' }),
    dailyDate: date('daily_date', { mode: 'string' }).notNull(),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.paperId, t.dailyDate] }), index('paper_appearances_date_idx').on(t.dailyDate)],
);

/**
 * A paper in a source's listing of a day: for arXiv, a category's announcement (RSS) or the
 * submissions of the day's window (API). `position` is the order the source listed it in (0 first);
 * `announce_type` why it is there (the API says nothing: a paper whose primary category is the
 * listing's is `new`, another `cross`). Holds only stored papers (a replacement of an unknown
 * paper is left out). Kept apart from paper_appearances, which are Hugging Face Daily Papers days.
 */
export const paperListings = pgTable(
  'paper_listings',
  {
    source: text('source').notNull(),
    category: text('category').notNull(),
    listingDate: date('listing_date', { mode: 'string' }).notNull(),
    paperId: text('paper_id')
      .notNull()
      .references(() => papers.id, { onDelete: 'cascade' }),
    announceType: text('announce_type', { enum: ['new', 'cross', 'replace', 'replace-cross'] }).notNull(),
    position: integer('position').notNull(),
    /** The version listed (2 for a replacement by v2); null when the source did not say. */
    version: integer('version'),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.source, t.category, t.listingDate, t.paperId] }),
    index('paper_listings_paper_idx').on(t.paperId),
    check('paper_listings_announce_type_check', sql`${t.announceType} in ('new', 'cross', 'replace', 'replace-cross')`),
  ],
);

/**
 * Each listing day a source was fetched or imported for, as last seen: how many papers it had,
 * and whether the source's calendar expects a listing that day (`expected`), or why not
 * (`reason`: "no arXiv announcement: holiday (Monday 2026-01-19)"). An empty day the calendar
 * explains is shown in the archive; an empty day it expected a listing on is an ingest or feed
 * that failed (paperboy_source_empty_days{expected="false"}).
 * `category` is '' for a source without categories.
 */
export const sourceDays = pgTable(
  'source_days',
  {
    source: text('source').notNull(),
    category: text('category').notNull().default(''),
    listingDate: date('listing_date', { mode: 'string' }).notNull(),
    papers: integer('papers').notNull(),
    expected: boolean('expected').notNull(),
    reason: text('reason'),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.source, t.category, t.listingDate] }),
    index('source_days_empty_idx').on(t.listingDate).where(sql`${t.papers} = 0`),
  ],
);

/** Upvotes and comments each time a day was ingested, so trending can see growth. */
export const paperStats = pgTable(
  'paper_stats',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    paperId: text('paper_id')
      .notNull()
      .references(() => papers.id, { onDelete: 'cascade' }),
    dailyDate: date('daily_date', { mode: 'string' }).notNull(),
    observedAt: timestamp('observed_at', { withTimezone: true }).notNull().defaultNow(),
    upvotes: integer('upvotes').notNull(),
    numComments: integer('num_comments').notNull(),
    githubStars: integer('github_stars'),
  },
  (t) => [index('paper_stats_paper_observed_idx').on(t.paperId, t.observedAt)],
);

// ---------------------------------------------------------------- subscribers

export const subscriberStatus = pgEnum('subscriber_status', ['pending', 'confirmed', 'unsubscribed']);
export const digestFrequency = pgEnum('digest_frequency', ['daily', 'weekly']);
export const consentSource = pgEnum('consent_source', ['signup_form', 'api', 'import', 'admin']);

export const subscribers = pgTable(
  'subscribers',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** As the reader typed it (trimmed); used in the To: header. */
    email: text('email').notNull(),
    /** Lower-cased, trimmed: the identity of the reader. */
    emailNormalized: text('email_normalized').notNull(),
    status: subscriberStatus('status').notNull().default('pending'),
    frequency: digestFrequency('frequency').notNull().default('daily'),
    /** ISO weekday for weekly readers: 1 = Monday ... 7 = Sunday. */
    weekday: smallint('weekday').notNull().default(1),
    /** Local hour (0-23) at which the digest is due in `time_zone`. */
    sendHour: smallint('send_hour').notNull().default(7),
    timeZone: text('time_zone').notNull().default('UTC'),
    /** Lower-cased keywords; empty means every paper of the edition. */
    topics: text('topics').array().notNull().default(sql`'{}'::text[]`),
    maxPapers: smallint('max_papers').notNull().default(10),
    /** Whether the reader's daily email has the Hugging Face trending section. */
    trending: boolean('trending').notNull().default(true),
    /** arXiv categories ("cs.CL") whose new listings are sections of the reader's daily email. */
    arxivCategories: text('arxiv_categories').array().notNull().default(sql`'{}'::text[]`),
    /** No digest until this instant (a holiday pause); null, or a past instant, means not paused. */
    pausedUntil: timestamp('paused_until', { withTimezone: true }),
    /** Whether digest cards show the papers' thumbnails. */
    images: boolean('images').notNull().default(true),
    consentAt: timestamp('consent_at', { withTimezone: true }),
    consentIp: text('consent_ip'),
    consentUserAgent: text('consent_user_agent'),
    /** Which form and consent text version the reader agreed to, e.g. "signup-v1". */
    consentForm: text('consent_form'),
    consentSource: consentSource('consent_source').notNull().default('signup_form'),
    confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
    unsubscribedAt: timestamp('unsubscribed_at', { withTimezone: true }),
    /** Throttles repeated confirmation emails to one address: start of the window and count in it. */
    confirmationWindowStartedAt: timestamp('confirmation_window_started_at', { withTimezone: true }),
    confirmationsSentInWindow: smallint('confirmations_sent_in_window').notNull().default(0),
    /**
     * Soft bounces in a row, across editions, as counted when the latest soft bounce arrived (from
     * the ledger and mail_events: a digest that went through breaks the row, with no write on the
     * send path). For operators to read; the decision to suppress is taken from the ledger.
     */
    softBounceStreak: smallint('soft_bounce_streak').notNull().default(0),
    /** When retention deleted an unsubscribed reader's sent-paper history (retention-service.ts). */
    historyDroppedAt: timestamp('history_dropped_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('subscribers_email_normalized_key').on(t.emailNormalized),
    // Fan-out walks confirmed readers by id (keyset); this index serves that walk.
    index('subscribers_confirmed_id_idx').on(t.id).where(sql`${t.status} = 'confirmed'`),
    // Retention finds readers who unsubscribed before its window (a small, partial index).
    index('subscribers_unsubscribed_at_idx').on(t.unsubscribedAt).where(sql`${t.status} = 'unsubscribed'`),
    check('subscribers_weekday_range', sql`${t.weekday} between 1 and 7`),
    check('subscribers_send_hour_range', sql`${t.sendHour} between 0 and 23`),
    check('subscribers_max_papers_range', sql`${t.maxPapers} between 1 and 100`),
    // A reader with no source would never get anything.
    check('subscribers_has_source', sql`${t.trending} or cardinality(${t.arxivCategories}) > 0`),
  ],
);

/**
 * Transactional emails a reader is owed (confirmation, fresh links), written in the same statement
 * that takes the mail slot: a signup commits its confirmation with it, whether or not Redis is up.
 * The worker's relay moves rows onto the transactional queue and deletes them; the slot names the
 * job, so a row relayed twice is still one email.
 */
export const readerMailKind = pgEnum('reader_mail_kind', ['confirmation', 'manage-links']);
/** Which transactional email a reader is owed. */
export type ReaderMailKind = (typeof readerMailKind.enumValues)[number];

export const readerMailOutbox = pgTable('reader_mail_outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  subscriberId: bigint('subscriber_id', { mode: 'number' })
    .notNull()
    .references(() => subscribers.id, { onDelete: 'cascade' }),
  kind: readerMailKind('kind').notNull(),
  windowStartedAt: timestamp('window_started_at', { withTimezone: true }).notNull(),
  sentInWindow: smallint('sent_in_window').notNull(),
  createdAt: createdAt(),
});

/** Addresses that must never be mailed again, kept as a SHA-256 of the normalised address. */
export const suppressionReason = pgEnum('suppression_reason', ['erased', 'hard_bounce', 'complaint', 'admin']);

export const suppressions = pgTable('suppressions', {
  emailHash: text('email_hash').primaryKey(),
  reason: suppressionReason('reason').notNull(),
  detail: text('detail'),
  createdAt: createdAt(),
});

// ---------------------------------------------------------------- editions

export const editionKind = pgEnum('edition_kind', ['daily', 'weekly', 'arxiv']);

export const editions = pgTable(
  'editions',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: editionKind('kind').notNull(),
    /** "2026-02-03" for a daily edition, "2026-W06" for a weekly one, "arxiv:cs.CL:2026-08-13" for an arXiv listing. */
    key: text('key').notNull(),
    /** First and last daily date the edition covers (equal for a daily edition). */
    periodStart: date('period_start', { mode: 'string' }).notNull(),
    periodEnd: date('period_end', { mode: 'string' }).notNull(),
    assembledAt: timestamp('assembled_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('editions_key_key').on(t.key), index('editions_kind_period_idx').on(t.kind, t.periodEnd)],
);

/**
 * The arXiv sections of a daily edition: the category editions (`arxiv:CAT:D`) frozen with the
 * daily edition D, one for each category a daily reader had chosen. The daily edition's own
 * papers are its Hugging Face trending section.
 */
export const editionSections = pgTable(
  'edition_sections',
  {
    editionId: bigint('edition_id', { mode: 'number' })
      .notNull()
      .references(() => editions.id, { onDelete: 'cascade' }),
    sectionEditionId: bigint('section_edition_id', { mode: 'number' })
      .notNull()
      .references(() => editions.id, { onDelete: 'restrict' }),
  },
  (t) => [
    primaryKey({ columns: [t.editionId, t.sectionEditionId] }),
    // The fan-out finds the daily editions a section's papers were sent with (findAlreadySentPapers).
    index('edition_sections_section_edition_idx').on(t.sectionEditionId),
  ],
);

/** The frozen, ranked papers of an edition. */
export const editionPapers = pgTable(
  'edition_papers',
  {
    editionId: bigint('edition_id', { mode: 'number' })
      .notNull()
      .references(() => editions.id, { onDelete: 'cascade' }),
    paperId: text('paper_id')
      .notNull()
      .references(() => papers.id, { onDelete: 'restrict' }),
    rank: integer('rank').notNull(),
    upvotes: integer('upvotes').notNull(),
    numComments: integer('num_comments').notNull(),
    /** The title as frozen: a re-import may correct a paper's title, and an edition never changes. */
    title: text('title').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.editionId, t.paperId] }),
    uniqueIndex('edition_papers_rank_key').on(t.editionId, t.rank),
    index('edition_papers_paper_idx').on(t.paperId),
  ],
);

// ---------------------------------------------------------------- sending

export const sendRunKind = pgEnum('send_run_kind', ['scheduled', 'manual', 'resend']);
export const sendRunStatus = pgEnum('send_run_status', ['fanning_out', 'sending', 'paused', 'completed', 'cancelled']);

export const sendRuns = pgTable(
  'send_runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    editionId: bigint('edition_id', { mode: 'number' })
      .notNull()
      .references(() => editions.id, { onDelete: 'cascade' }),
    kind: sendRunKind('kind').notNull(),
    status: sendRunStatus('status').notNull().default('fanning_out'),
    /** Who the run is for (SendAudience in send-run-repo.ts): the readers due by a time, everyone, or a resend's target. */
    audience: jsonb('audience').notNull().default({}),
    /** Scheduled runs: the 15-minute slot they serve; one scheduled run per edition and slot. */
    slot: timestamp('slot', { withTimezone: true }),
    idempotencyKey: text('idempotency_key'),
    /** Keyset checkpoint of the fan-out, and the frozen upper bound of subscriber ids it walks. */
    fanoutCursor: bigint('fanout_cursor', { mode: 'number' }).notNull().default(0),
    fanoutUpperBound: bigint('fanout_upper_bound', { mode: 'number' }),
    createdBy: text('created_by').notNull().default('scheduler'),
    createdAt: createdAt(),
    fanoutCompletedAt: timestamp('fanout_completed_at', { withTimezone: true }),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    /** Bounces and complaints that came back for this run's deliveries (they drive the auto-pause). */
    hardBounces: integer('hard_bounces').notNull().default(0),
    softBounces: integer('soft_bounces').notNull().default(0),
    complaints: integer('complaints').notNull().default(0),
    /** Why a paused run stopped (a bounce or complaint spike, or an operator), and when. */
    pausedReason: text('paused_reason'),
    pausedAt: timestamp('paused_at', { withTimezone: true }),
    /**
     * The run's deliveries by status ({ queued, claimed, sent, failed, skipped, bounced }), stored
     * when it completed or was cancelled (a trigger, migration 0006) and kept as the ledger changes
     * after (a late bounce moves one from sent to bounced; retention recounts before it drops the
     * edition's deliveries). Null while the run goes on: its reports count the ledger.
     */
    deliveryCounts: jsonb('delivery_counts'),
  },
  (t) => [
    uniqueIndex('send_runs_idempotency_key_key').on(t.idempotencyKey),
    uniqueIndex('send_runs_edition_slot_key').on(t.editionId, t.slot),
    index('send_runs_edition_idx').on(t.editionId),
  ],
);

/** `bounced`: accepted by the server (sent), then reported undeliverable by a bounce or a provider. */
export const deliveryStatus = pgEnum('delivery_status', ['queued', 'claimed', 'sent', 'failed', 'skipped', 'bounced']);

/**
 * The selections of papers readers were given with an edition: one row per distinct selection,
 * shared by every delivery that carries the same papers (most readers of an edition get one of
 * a few). Written by the fan-out, never changed; a delivery or a sent_papers row names one by id,
 * four bytes instead of its list of paper ids.
 */
export const editionVariants = pgTable(
  'edition_variants',
  {
    id: serial('id').primaryKey(),
    editionId: bigint('edition_id', { mode: 'number' })
      .notNull()
      .references(() => editions.id, { onDelete: 'cascade' }),
    /** In the order the digest shows them. */
    paperIds: text('paper_ids').array().notNull(),
    /**
     * The section of each paper, parallel to paper_ids: "hf" (Hugging Face trending) or an arXiv
     * category ("cs.CL"). Empty for a copy that is all trending, as every copy was before readers
     * chose sources: such a variant is the same row as ever.
     */
    paperSections: text('paper_sections').array().notNull().default(sql`'{}'::text[]`),
    /**
     * md5 of the selection (paperboy_variant_name_hash, migration 0014), the key a selection is
     * found by: a copy of 21 sections of 50 papers holds ~30 KB of lists, over the 2,704 bytes a
     * btree index row may take, so the lists themselves cannot be the unique key.
     */
    nameHash: text('name_hash')
      .notNull()
      .generatedAlwaysAs(sql`paperboy_variant_name_hash(paper_ids, paper_sections)`),
  },
  (t) => [uniqueIndex('edition_variants_edition_name_hash_key').on(t.editionId, t.nameHash)],
);

/**
 * The ledger: one row per (send run, reader). A delivery is claimed before the SMTP conversation
 * and marked sent after it, so a retried job skips what was sent. A delivery with a sent_at is
 * what the reader was sent: its variant's papers are never sent to them again (the fan-out reads
 * them here, and from sent_papers once the partition is dropped).
 *
 * Partitioned by edition (LIST on edition_id, migrations 0005, 0006; drizzle-kit cannot say so):
 * each edition's rows live in `deliveries_e{edition id}`, made by paperboy_ledger_partitions()
 * when the edition is inserted (a trigger), with a fillfactor (50, migration 0006) that leaves
 * room on each page for the claim and the sent mark of all its rows. Retention drops the whole table once the edition is older than
 * DELIVERY_RETENTION_DAYS (retention-service.ts), with no DELETE. Every unique key includes
 * edition_id, which costs nothing in meaning: a run, and so each of its deliveries, belongs to one
 * edition. Statements of the send name the edition so Postgres reads one partition.
 *
 * No index covers a column that a status change writes (status, claims, sent_at), so each of
 * those updates is HOT: a new row version on the same page and no index entry. The Message-ID
 * is not stored: it is formed from the delivery id and the installation id (platform/mail/digest-message-id.ts).
 * Columns are declared widest first (migration 0006), which leaves no padding in the row.
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: bigserial('id', { mode: 'number' }).notNull(),
    /**
     * No foreign key to the run nor to the edition (migration 0013): the fan-out writes each row
     * beside the run it just read, and only into the partition made with the edition, and their
     * checks (a row lock of the run and of the edition per delivery) cost the send more Postgres
     * CPU than writing the row itself. Neither is ever deleted with deliveries (a run only when
     * it has none, deleteRunWithoutDeliveries); retention drops the edition's partition.
     */
    sendRunId: bigint('send_run_id', { mode: 'number' }).notNull(),
    editionId: bigint('edition_id', { mode: 'number' }).notNull(),
    /**
     * No foreign key to the reader either (migration 0015): its check locked the reader's row,
     * a write per delivery. Erasing a reader and retention delete their deliveries themselves; a
     * delivery whose reader is gone (written by a fan-out racing the erasure) is deleted when its
     * claim finds no reader (settleUnclaimableDeliveries).
     */
    subscriberId: bigint('subscriber_id', { mode: 'number' }).notNull(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    createdAt: createdAt(),
    /**
     * The reader's own selection (edition_variants), fixed at fan-out so a retry sends the same
     * papers; null for a reader with nothing new (a skipped delivery).
     */
    variantId: integer('variant_id'),
    attempts: integer('attempts').notNull().default(0),
    status: deliveryStatus('status').notNull().default('queued'),
    /** A resend's copy; every other copy is the reader's one and only copy of the edition. */
    resend: boolean('resend').notNull().default(false),
    /** The job that holds the claim: a retry of that same job (its worker died) may take it back. Cleared once sent. */
    claimedBy: text('claimed_by'),
    lastError: text('last_error'),
  },
  (t) => [
    primaryKey({ name: 'deliveries_pkey', columns: [t.id, t.editionId] }),
    // A reader's copies of an edition: their one first copy (copy key 0), so scheduled and manual
    // sends give each reader each edition at most once whatever runs race, and at most one copy
    // per resend run (copy key the run). The one secondary index the fan-out writes; its leading
    // reader column serves every lookup by reader (migration 0015).
    uniqueIndex('deliveries_reader_copy_key').on(t.subscriberId, t.editionId, sql`(case when ${t.resend} then ${t.sendRunId} else 0 end)`),
  ],
);

/**
 * What readers were sent, for as long as SENT_PAPERS_RETENTION_DAYS (longer than the deliveries
 * are kept), so no reader gets the same paper twice: one row per sent email, the reader and the
 * variant (edition_variants) that lists its papers. While an edition's deliveries are kept they
 * say it themselves (a delivery with a sent_at); retention writes these rows from them when it
 * drops their partition (retention-repo.ts), so the send itself writes nothing here.
 *
 * No foreign keys: erasing a reader deletes its rows explicitly (subscriber-admin-repo.ts).
 * Partitioned by the edition that sent the papers, like deliveries (`sent_papers_e{edition id}`),
 * and dropped whole after SENT_PAPERS_RETENTION_DAYS, once the papers cannot come back. A paper
 * can only have been sent with an edition that holds it, so the fan-out reads just the partitions
 * of the editions holding its papers (edition_papers_paper_idx).
 */
export const sentPapers = pgTable(
  'sent_papers',
  {
    subscriberId: bigint('subscriber_id', { mode: 'number' }).notNull(),
    editionId: bigint('edition_id', { mode: 'number' }).notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true }).notNull().defaultNow(),
    variantId: integer('variant_id').notNull(),
  },
  (t) => [index('sent_papers_subscriber_idx').on(t.subscriberId)],
);

// ---------------------------------------------------------------- operations

export const adminAuditLog = pgTable(
  'admin_audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** The admin token's name, never its secret. */
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    params: jsonb('params').notNull().default({}),
    ip: text('ip'),
  },
  (t) => [index('admin_audit_log_at_idx').on(t.at)],
);

/**
 * One row: this database's own random id, which every Message-ID carries beside the delivery or
 * job id, so two installations sending from one domain never repeat a Message-ID (providers drop
 * mail whose Message-ID they have seen). The migration that creates the table makes the row, so
 * each new database has its own id; `database_oid` lets a copy or a restore into another database
 * notice it is not the original and draw a new id (installation-repo.ts).
 */
export const installation = pgTable('installation', {
  /** 64 random bits in hex: plenty among the few installations of one domain, and short in a header. */
  id: text('id').primaryKey().default(sql`substr(md5(gen_random_uuid()::text), 1, 16)`),
  databaseOid: bigint('database_oid', { mode: 'number' }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

// ---------------------------------------------------------------- bounces and complaints

export const mailEventKind = pgEnum('mail_event_kind', ['hard_bounce', 'soft_bounce', 'complaint', 'deferral']);

/**
 * What came back after the server's 250: bounces (DSNs to the VERP address, or a provider's
 * webhook) and complaints (feedback loops). Stored once: `source` and `event_key` identify the
 * event (a provider's event id, or a DSN's own identity), so a redelivered report changes nothing.
 */
export const mailEvents = pgTable(
  'mail_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** Where it came from: 'dsn', 'arf', 'ses', 'postmark', 'sendgrid', 'mailgun'. */
    source: text('source').notNull(),
    eventKey: text('event_key').notNull(),
    kind: mailEventKind('kind').notNull(),
    deliveryId: bigint('delivery_id', { mode: 'number' }),
    subscriberId: bigint('subscriber_id', { mode: 'number' }),
    sendRunId: bigint('send_run_id', { mode: 'number' }),
    /** The status code and diagnostic, e.g. "5.1.1 user unknown". */
    detail: text('detail'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('mail_events_source_event_key').on(t.source, t.eventKey),
    index('mail_events_send_run_idx').on(t.sendRunId, t.kind),
    index('mail_events_subscriber_idx').on(t.subscriberId),
  ],
);
