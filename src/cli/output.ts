/** Where CLI output goes; injectable so end-to-end tests can capture it. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const stdio: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

/** An error the CLI reports as one clear line and exit code 2 (bad usage or config), no stack trace. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A command that could not do what was asked (a conflict, a missing record, a refusal by the gateway): one line, exit code 1. */
export class CommandError extends Error {
  override readonly name = 'CommandError';
}
