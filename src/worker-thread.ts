import { Worker } from 'node:worker_threads';

/**
 * Starts the worker thread whose module is `name` beside `base` (an `import.meta.url`) and
 * resolves once it posts its first message (it is ready). From source (tests, tsx) the module
 * is TypeScript, so tsx's loader is registered in the worker first; from dist it is plain JavaScript.
 */
export async function startWorker(base: string, name: string, workerData: unknown): Promise<Worker> {
  const fromSource = base.endsWith('.ts');
  const url = new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, base);
  const worker = fromSource
    ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData })
    : new Worker(url, { workerData });
  await new Promise<void>((ok, fail) => {
    worker.once('message', () => ok());
    worker.once('error', fail);
    worker.once('exit', (code) => fail(new Error(`${name} exited with code ${code}`)));
  });
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  return worker;
}
