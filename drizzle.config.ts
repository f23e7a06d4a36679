import { defineConfig } from 'drizzle-kit';

// Only `drizzle-kit generate` reads this file; the app applies migrations itself at start-up.
export default defineConfig({
  dialect: 'postgresql',
  schema: './services/core/platform/db/schema.ts',
  out: './migrations',
});
