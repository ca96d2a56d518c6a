import type { Logger } from '../core/logger.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** JSON lines on stderr, one per event, at or above `level`. */
export function jsonLogger(level: keyof typeof LEVELS, write: (line: string) => void = (l) => void process.stderr.write(l)): Logger {
  const min = LEVELS[level];
  const emit = (lvl: keyof typeof LEVELS) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] >= min) write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }) + '\n');
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
