import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { z } from 'zod';
import { subjectOf, textOf } from '../format';
import { AddressRefused, parseHost, resolveSafely } from '../outbound/safe-address';
import type { ChannelKind, SendOutcome } from './kind';

const Email = z.string().trim().max(254).email({ message: 'must be an email address' });

/**
 * SMTP settings. STARTTLS is required by default (`requireTls`), so neither the mail nor the password ever crosses
 * the network in clear; `requireTls: false` (an admin's choice, like every channel setting) is for a local relay
 * that speaks no TLS, reached through an allow-listed address: STARTTLS is then still used when the server offers
 * it, with its certificate checked. `secure` is implicit TLS from the first byte (port 465).
 */
export const EmailConfig = z
  .strictObject({
    host: z
      .string()
      .trim()
      .min(1)
      .max(253)
      .superRefine((h, ctx) => {
        try {
          parseHost(h);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: (e as Error).message });
        }
      }),
    port: z.number().int().min(1).max(65_535).default(587),
    secure: z.boolean().optional(),
    requireTls: z.boolean().default(true),
    username: z.string().trim().min(1).max(320).optional(),
    password: z.string().min(1).max(1_000).optional(),
    from: Email,
    // 20 recipients: a team list or two; a mailing list address covers more.
    to: z.array(Email).min(1, { message: 'name at least one recipient' }).max(20),
  })
  .refine((c) => c.password === undefined || c.username !== undefined, { message: 'a password needs a username', path: ['username'] });

// Codes nodemailer reports for failures that a retry cannot fix: authentication refused, TLS impossible.
const PERMANENT_CODES = new Set(['EAUTH', 'ETLS', 'EENVELOPE', 'EMESSAGE']);

export const emailKind: ChannelKind = {
  kind: 'email',
  label: 'Email (SMTP)',
  configSchema: EmailConfig as unknown as ChannelKind['configSchema'],
  secretKeys: ['password'],
  hostsOf: (config) => [String(config.host)],
  send: async (settings, secrets, payload, ctx): Promise<SendOutcome> => {
    const host = String(settings.host);
    let target;
    try {
      target = await resolveSafely(host, ctx.allow, ctx.lookup);
    } catch (e) {
      return { ok: false, response: null, error: (e as Error).message, permanent: e instanceof AddressRefused };
    }
    const port = Number(settings.port);
    const username = typeof settings.username === 'string' ? settings.username : undefined;
    const servername = target.servername ?? undefined;
    // Nodemailer is given the checked address as its host (an address: it resolves nothing) and the name for TLS.
    // `servername` (the TLS name when `host` is an address) is read by nodemailer's SMTP connection; its types omit it.
    const options: SMTPTransport.Options & { servername?: string } = {
      host: target.address,
      port,
      secure: settings.secure === true || (settings.secure === undefined && port === 465),
      requireTLS: settings.requireTls !== false,
      servername,
      tls: { servername, minVersion: 'TLSv1.2' },
      auth: username ? { user: username, pass: typeof secrets.password === 'string' ? secrets.password : '' } : undefined,
      connectionTimeout: ctx.timeoutMs,
      greetingTimeout: ctx.timeoutMs,
      socketTimeout: ctx.timeoutMs,
    };
    const transport = nodemailer.createTransport(options);
    let timer: NodeJS.Timeout | undefined;
    try {
      const info = await Promise.race([
        transport.sendMail({
          from: String(settings.from),
          to: settings.to as string[],
          subject: subjectOf(payload),
          text: textOf(payload),
          // Nothing in a message is read from disk or fetched: it is text made here.
          disableFileAccess: true,
          disableUrlAccess: true,
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error(`${host} did not accept the mail within ${ctx.timeoutMs} ms`), { code: 'ETIMEDOUT' })), ctx.timeoutMs * 2);
        }),
      ]);
      return { ok: true, response: String(info.response ?? '').slice(0, 300) || 'accepted', error: null, permanent: false };
    } catch (e) {
      const err = e as Error & { code?: string; responseCode?: number; response?: string };
      const permanent = PERMANENT_CODES.has(err.code ?? '') || (typeof err.responseCode === 'number' && err.responseCode >= 500);
      return { ok: false, response: err.response ? String(err.response).slice(0, 300) : null, error: `${host}: ${err.message}`.slice(0, 500), permanent };
    } finally {
      clearTimeout(timer);
      transport.close();
    }
  },
};
