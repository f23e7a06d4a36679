import Fastify from 'fastify';
import postgres from 'postgres';

/**
 * The signup baseline, run as its own process: a bare Fastify route that validates a JSON email
 * and inserts one row with postgres.js into a table shaped like `subscribers` (created by the
 * bench), answering 202. No consent record, no throttling, no confirmation job, no rate limit:
 * the least a signup can cost with our stack.
 */

const databaseUrl = process.env.DATABASE_URL!;
const port = Number(process.env.PORT);
const sql = postgres(databaseUrl, { max: 10, onnotice: () => {} });
const app = Fastify({ logger: false });

app.get('/healthz', async () => ({ status: 'ok' }));
app.post(
  '/subscribe',
  { schema: { body: { type: 'object', required: ['email'], properties: { email: { type: 'string', minLength: 3, maxLength: 254 } } } } },
  async (request, reply) => {
    const { email } = request.body as { email: string };
    await sql`
      insert into bench_bare_subscribers (email, email_normalized, status, consent_at, consent_source)
      values (${email}, ${email.trim().toLowerCase()}, 'pending', now(), 'signup_form')
      on conflict do nothing`;
    return reply.status(202).send({ status: 'accepted' });
  },
);

const close = async () => {
  await app.close();
  await sql.end({ timeout: 5 });
  process.exit(0);
};
process.on('SIGTERM', () => void close());
await app.listen({ port, host: '127.0.0.1' });
