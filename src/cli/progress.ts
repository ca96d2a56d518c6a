/**
 * A one-line progress bar on a terminal's stderr, redrawn at most 10 times a second.
 * Nothing at all when stderr is not a terminal (cron, pipes, CI). `detail` says how far
 * in the work's own terms (bytes read, by default).
 */
export function progressBar(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
  detail: (done: number, total: number) => string = (done, total) => `${mb(done)}/${mb(total)} MB`,
): { update(done: number, total: number): void; end(): void } {
  if (!stream.isTTY) return { update: () => undefined, end: () => undefined };
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number) => {
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 30));
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const full = Math.round(frac * width);
    stream.write(`\r${label} [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}% ${detail(done, total)}`);
    drawn = true;
  };
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done, total);
    },
    end() {
      if (drawn) stream.write('\r\x1b[K');
    },
  };
}

const mb = (n: number) => (n / 1048576).toFixed(1);
