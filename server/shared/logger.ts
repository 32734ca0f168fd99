import pino from 'pino';

/** One logger; secrets are redacted by key name wherever they appear in a logged object. */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  redact: {
    paths: ['password', '*.password', '*.*.password', 'secrets', '*.secrets', 'token', '*.token', 'authorization', '*.authorization'],
    censor: '[redacted]',
  },
});
