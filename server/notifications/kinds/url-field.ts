import { z } from 'zod';

/** A receiver's URL: http or https, with a host; at most 2000 characters (Slack's are ~80, webhook URLs rarely 300). */
export const ReceiverUrl = z
  .string()
  .trim()
  .max(2_000)
  .url({ message: 'must be a URL, e.g. https://hooks.example.com/lifeboat' })
  .refine((u) => /^https?:$/.test(new URL(u).protocol), { message: 'must be an http:// or https:// URL' })
  .refine((u) => new URL(u).hostname !== '', { message: 'must name a host' })
  // Stored as the parser reads it, so what is checked and what is contacted are one text (`http://2130706433/` is
  // stored as `http://127.0.0.1/`).
  .transform((u) => new URL(u).href);
