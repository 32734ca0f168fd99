import pino from 'pino';
import { loggingEnv } from './env';

/** One logger; secrets are redacted by key name wherever they appear in a logged object. */
export const logger = pino({
  level: loggingEnv().LOG_LEVEL,
  redact: {
    paths: ['password', '*.password', '*.*.password', 'secrets', '*.secrets', 'token', '*.token', 'authorization', '*.authorization'],
    censor: '[redacted]',
  },
});
