import { z } from 'zod';

/** The body of every error answer: what is wrong, and where. Routes declare it for their 4xx answers. */
export const errorSchema = z.object({
  error: z.string(),
  details: z.array(z.object({ field: z.string(), message: z.string() })),
});

export type ErrorBody = z.output<typeof errorSchema>;
