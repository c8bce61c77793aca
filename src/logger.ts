import type * as Winston from 'winston';
import { redactUrls } from './text';

/**
 * Any logger with these four methods, one string each: FluxOS's own logger
 * fits as it is, and so does winston.
 */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

/** Drops everything; the default when the host gives no logger. */
export const silentLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/**
 * The CLI's logger: winston to stderr, so stdout stays for results (and
 * parseable with --json).
 */
export function createCliLogger(level: 'error' | 'warn' | 'info' | 'debug' = 'info'): Logger {
  // Loaded here, not at the top: FluxOS's boot and quick commands never pay for winston (docs/design.md §9).
  const winston = require('winston') as typeof Winston;
  const logger = winston.createLogger({
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.printf(({ timestamp, level: lvl, message }) => `${timestamp} ${lvl} fluxos-preprod: ${message}`),
    ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] })],
  });
  // Every line loses URL credentials, whoever built the message (a driver's error, say).
  return {
    error: (m) => void logger.error(redactUrls(m)),
    warn: (m) => void logger.warn(redactUrls(m)),
    info: (m) => void logger.info(redactUrls(m)),
    debug: (m) => void logger.debug(redactUrls(m)),
  };
}

/**
 * Wraps a host logger so a logger that throws cannot break boot, so every
 * line says where it comes from, and so no line carries URL credentials.
 */
export function safeLogger(logger: Partial<Logger> | undefined, prefix = ''): Logger {
  const call = (method: keyof Logger) => (message: string) => {
    try {
      const fn = logger?.[method];
      if (typeof fn === 'function') fn.call(logger, redactUrls(prefix + message));
    } catch {
      // A broken logger must never take boot down with it.
    }
  };
  return { error: call('error'), warn: call('warn'), info: call('info'), debug: call('debug') };
}
