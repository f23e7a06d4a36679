import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { NotFoundError, type ErrorDetail } from '../../core/platform/errors.js';
import { MAX_ARXIV_CATEGORIES, MAX_PAPERS_LIMIT } from '../../core/subscribers/preferences.js';
import type { Runtime } from '../../runtime.js';
import type { RequestContext, SubscriptionService } from '../../core/subscribers/subscription-service.js';
import { CONFIRMATION_TOKEN_TTL_SECONDS, createToken, verifyToken, type TokenProblem, type TokenPurpose } from '../../core/platform/tokens/tokens.js';
import { wantsJson } from '../content-negotiation.js';
import type { PageRenderer } from '../pages/page-renderer.js';

/**
 * What every reader route shares: the subscription service, the page renderer, and the handling
 * of link tokens, so a bad link gets the same helpful page on every route.
 */
export interface ReaderContext {
  runtime: Runtime;
  service: SubscriptionService;
  pages: PageRenderer;
}

export type LinkProblem = TokenProblem | 'missing' | 'gone';

/** A link that checked out: whose it is, and its token (for the page's own forms and links). */
export interface ValidLink {
  subscriberId: number;
  token: string;
}

type VerifiedLink = ({ ok: true } & ValidLink) | { ok: false; problem: LinkProblem };

/** The query of a page reached from a link in an email. */
export const linkQuery = z.object({ token: z.string().optional().describe('The signed link token from the email') });

/**
 * The preference fields of a signup or preferences body, as the API docs show them. Typed
 * `unknown`: the service validates them, so a form can be shown again with its messages.
 */
export const preferenceFields = {
  frequency: z.unknown().optional().describe('"daily" or "weekly"'),
  weekday: z.unknown().optional().describe('Weekday of a weekly digest, 1 = Monday ... 7 = Sunday'),
  sendHour: z.unknown().optional().describe('Local hour 0-23 at which the digest arrives'),
  timeZone: z.unknown().optional().describe('IANA time zone, e.g. "Europe/Berlin"'),
  topics: z.unknown().optional().describe('Comma-separated keywords, or an array; empty means every paper'),
  maxPapers: z.unknown().optional().describe(`Most papers per email, 1-${MAX_PAPERS_LIMIT}`),
  trending: z.unknown().optional().describe('Hugging Face trending as a section of the daily email: true/false, or a form checkbox ("on")'),
  arxivCategories: z
    .unknown()
    .optional()
    .describe(`arXiv categories such as "cs.CL" (at most ${MAX_ARXIV_CATEGORIES}): an array, repeated form values, or comma-separated; each is a section of the daily email`),
};

/** A message page: heading, paragraphs, and buttons (links, or forms that POST). */
export interface MessagePage {
  title: string;
  heading: string;
  paragraphs: string[];
  icon?: 'mail' | 'check' | 'alert';
  tone?: 'ok' | 'error';
  summary?: string;
  actions?: Array<
    | { label: string; href: string; style?: string }
    | { label: string; form: true; action: string; fields?: Array<{ name: string; value: string }>; style?: string }
  >;
  showFreshLinkForm?: boolean;
  showManageLink?: boolean;
  fine?: string;
  email?: string;
  errors?: Record<string, string>;
}

export function requestContext(request: FastifyRequest): RequestContext {
  const userAgent = request.headers['user-agent'];
  return {
    ip: request.ip ?? null,
    userAgent: typeof userAgent === 'string' ? userAgent : null,
    source: wantsJson(request) ? 'api' : 'signup_form',
  };
}

/** The token of the request's `?token=`, checked for one of `purposes`. */
function verifyLink(ctx: ReaderContext, token: string | undefined, ...purposes: TokenPurpose[]): VerifiedLink {
  if (!token) return { ok: false, problem: 'missing' };
  let problem: TokenProblem = 'malformed';
  for (const purpose of purposes) {
    const check = verifyToken(ctx.runtime.config.secretKey, token, purpose, ctx.runtime.clock());
    if (check.ok) return { ok: true, subscriberId: check.subscriberId, token };
    problem = check.problem;
  }
  return { ok: false, problem };
}

/** A site-relative link with a fresh token for `purpose` (preference and unsubscribe links never expire). */
export function readerLink(ctx: ReaderContext, route: string, purpose: TokenPurpose, subscriberId: number): string {
  return `${route}?token=${encodeURIComponent(createToken(ctx.runtime.config.secretKey, { subscriberId, purpose }))}`;
}

const LINK_PROBLEMS: Record<LinkProblem, { heading: string; message: string }> = {
  expired: {
    heading: 'This link has expired',
    message: `Confirmation links work for ${Math.round(CONFIRMATION_TOKEN_TTL_SECONDS / 3600)} hours, so that an old email cannot sign anyone up. Ask for a fresh link below.`,
  },
  forged: {
    heading: 'This link does not work',
    message: 'Part of it seems to be missing or changed, which can happen when a link is copied or wrapped across lines. Copy the whole link from the email, or ask for a fresh one below.',
  },
  malformed: {
    heading: 'This link does not work',
    message: 'Part of it seems to be missing or changed, which can happen when a link is copied or wrapped across lines. Copy the whole link from the email, or ask for a fresh one below.',
  },
  'wrong-purpose': {
    heading: 'This link belongs to another page',
    message: 'Each link in our emails does one thing (confirm, change preferences, unsubscribe). Use the link for what you want to do, or ask for a fresh one below.',
  },
  missing: {
    heading: 'This page needs the link from your email',
    message: 'Open it from the link in a Paperboy email, or ask for a fresh link below.',
  },
  gone: {
    heading: 'We cannot find this subscription',
    message: 'It may have been deleted at your request. You can sign up again on the home page, or ask for a fresh link below.',
  },
};

export function sendPage(ctx: ReaderContext, reply: FastifyReply, status: number, page: string, data: object) {
  return reply
    .status(status)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(ctx.pages.render(page, data));
}

export function sendMessage(ctx: ReaderContext, reply: FastifyReply, status: number, page: MessagePage) {
  return sendPage(ctx, reply, status, 'message', page);
}

/** 400 for a link that cannot be used: says why, and offers to email a fresh one. Never a 500. */
export function sendLinkProblem(ctx: ReaderContext, request: FastifyRequest, reply: FastifyReply, problem: LinkProblem) {
  const { heading, message } = LINK_PROBLEMS[problem];
  if (wantsJson(request)) {
    const details: ErrorDetail[] = [{ field: 'token', message }];
    return reply.status(400).send({ error: heading, details });
  }
  return sendMessage(ctx, reply, 400, {
    title: heading,
    heading,
    paragraphs: [message],
    icon: 'alert',
    tone: 'error',
    showFreshLinkForm: true,
  });
}

/**
 * Runs `work` for a page reached from a link in an email: `?token=` is checked for one of
 * `purposes` first, and a subscription that no longer exists (NotFoundError) gets the "gone"
 * page, so every such page answers a bad link alike.
 */
export async function withValidLink(
  ctx: ReaderContext,
  request: FastifyRequest & { query: { token?: string | undefined } },
  reply: FastifyReply,
  purposes: TokenPurpose[],
  work: (link: ValidLink) => Promise<unknown>,
): Promise<unknown> {
  const link = verifyLink(ctx, request.query.token, ...purposes);
  if (!link.ok) return sendLinkProblem(ctx, request, reply, link.problem);
  try {
    return await work(link);
  } catch (error) {
    if (error instanceof NotFoundError) return sendLinkProblem(ctx, request, reply, 'gone');
    throw error;
  }
}
