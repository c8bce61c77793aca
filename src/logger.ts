import type * as Winston from 'winston';

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
  return {
    error: (m) => void logger.error(m),
    warn: (m) => void logger.warn(m),
    info: (m) => void logger.info(m),
    debug: (m) => void logger.debug(m),
  };
}

/**
 * Wraps a host logger so a logger that throws cannot break boot, and so every
 * line says where it comes from.
 */
export function safeLogger(logger: Partial<Logger> | undefined, prefix = ''): Logger {
  const call = (method: keyof Logger) => (message: string) => {
    try {
      const fn = logger?.[method];
      if (typeof fn === 'function') fn.call(logger, prefix + message);
    } catch {
      // A broken logger must never take boot down with it.
    }
  };
  return { error: call('error'), warn: call('warn'), info: call('info'), debug: call('debug') };
}
