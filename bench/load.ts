import { Agent, request } from 'undici';

export interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}

const NON_STREAM = JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'Summarise the benchmark method in one sentence.' }], max_completion_tokens: 64 });
const STREAM = JSON.stringify({ model: 'gpt-5', stream: true, messages: [{ role: 'user', content: 'Summarise the benchmark method in one sentence.' }], max_completion_tokens: 64 });

export const bodyFor = (stream: boolean) => (stream ? STREAM : NON_STREAM);

async function once(agent: Agent, t: Target, stream: boolean, extra: Record<string, string> = {}): Promise<{ status: number; firstByteMs: number; totalMs: number }> {
  const start = performance.now();
  const res = await request(`${t.url}/v1/chat/completions`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/json', ...t.headers, ...extra }, body: bodyFor(stream) });
  let firstByteMs = -1;
  for await (const _ of res.body) if (firstByteMs < 0) firstByteMs = performance.now() - start;
  return { status: res.statusCode, firstByteMs, totalMs: performance.now() - start };
}

/**
 * Open-loop load at a fixed rate: request i is sent at start + i/rps whether or not
 * earlier ones have finished. Latency runs from the actual send, so timer jitter in the
 * generator (which idles at this rate) does not blur sub-millisecond differences; no
 * busy-waiting, because the generator shares two cores with what it measures.
 */
export async function fixedRate(t: Target, stream: boolean, rps: number, durationMs: number): Promise<number[]> {
  const agent = new Agent({ connections: 128, keepAliveTimeout: 60_000 });
  const total = Math.floor((rps * durationMs) / 1000);
  const latencies: number[] = [];
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = start + (i * 1000) / rps - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      once(agent, t, stream).then((r) => {
        if (r.status === 200) latencies.push(r.totalMs);
      }),
    );
  }
  await Promise.all(inflight);
  await agent.close();
  return latencies;
}

/** Closed loop: `concurrency` workers send back-to-back for `durationMs`. Returns completed requests per second. */
export async function maxThroughput(t: Target, stream: boolean, concurrency: number, durationMs: number): Promise<number> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 60_000 });
  let done = 0;
  const end = performance.now() + durationMs;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) if ((await once(agent, t, stream)).status === 200) done++;
    }),
  );
  const elapsed = performance.now() - start;
  await agent.close();
  return (done * 1000) / elapsed;
}

/** Time to the first body byte of streams, one at a time so that queueing does not blur it. */
export async function streamTtfb(t: Target, n: number): Promise<number[]> {
  return (await oneAtATime(t, true, n)).map((r) => r.firstByteMs);
}

/** Whole-request latency of requests sent one at a time (no queueing in any process). */
export async function sequentialLatency(t: Target, n: number): Promise<number[]> {
  return (await oneAtATime(t, false, n)).map((r) => r.totalMs);
}

async function oneAtATime(t: Target, stream: boolean, n: number): Promise<{ firstByteMs: number; totalMs: number }[]> {
  const agent = new Agent({ connections: 4, keepAliveTimeout: 60_000 });
  const out: { firstByteMs: number; totalMs: number }[] = [];
  for (let i = 0; i < n; i++) {
    const r = await once(agent, t, stream);
    if (r.status !== 200) throw new Error(`${t.name}: HTTP ${r.status}`);
    out.push(r);
  }
  await agent.close();
  return out;
}

/** Opens `n` streams that the upstream holds open after the first chunk; calls `measure` while all are open. `body`: the request's, the benchmark's small one by default. */
export async function openStreams<T>(t: Target, n: number, measure: () => T | Promise<T>, body = STREAM): Promise<{ value: T; open: number }> {
  const agent = new Agent({ connections: n + 10, keepAliveTimeout: 60_000 });
  const controllers: AbortController[] = [];
  let firstChunks = 0;
  let ready: () => void = () => undefined;
  const allOpen = new Promise<void>((r) => (ready = r));
  const streams = Array.from({ length: n }, async () => {
    const ac = new AbortController();
    controllers.push(ac);
    try {
      const res = await request(`${t.url}/v1/chat/completions`, { method: 'POST', dispatcher: agent, signal: ac.signal, headers: { 'content-type': 'application/json', 'x-bench-hold': '1', ...t.headers }, body });
      for await (const _ of res.body) {
        if (++firstChunks === n) ready();
      }
    } catch {
      // Aborted by us once measured.
    }
  });
  await Promise.race([allOpen, new Promise((r) => setTimeout(r, 60_000))]);
  await new Promise((r) => setTimeout(r, 500));
  const value = await measure();
  const open = firstChunks;
  for (const c of controllers) c.abort();
  await Promise.all(streams);
  await agent.destroy();
  return { value, open };
}
