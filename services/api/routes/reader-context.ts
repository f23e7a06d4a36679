import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorDetail } from '../../core/platform/errors.js';
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

export type VerifiedLink = { ok: true; subscriberId: number; token: string } | { ok: false; problem: LinkProblem };

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
export function verifyLink(ctx: ReaderContext, token: string | undefined, ...purposes: TokenPurpose[]): VerifiedLink {
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
