/**
 * Work that follows a response without delaying it: started on the next turn of the event loop,
 * its failure handed to `onError` (never to the request), and waited for at shutdown.
 */
export class AfterResponse {
  private readonly running = new Set<Promise<void>>();

  run(task: () => Promise<void>, onError: (err: unknown) => void): void {
    const p: Promise<void> = new Promise<void>((ok) => setImmediate(ok))
      .then(task)
      .catch(onError)
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** Resolves once every task started, including those started meanwhile, has ended. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
