// Loaded into a gateway with `node --import` by bench/latency-pair.ts (STEPS=1): times the
// gateway's own part of each request from diagnostics channels, whatever the build.
// before: the request's start to the upstream request's headers written (undici's sendHeaders);
// after: the upstream response's end (its trailers) to the client response's finish.
// Requests that overlapped another are left out, so that no step is another request's.
import dc from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

const before = [];
const after = [];
let start = NaN;
let upstreamEnd = NaN;
let open = 0;
dc.subscribe('http.server.request.start', () => {
  open++;
  start = performance.now();
  upstreamEnd = NaN;
});
dc.subscribe('undici:client:sendHeaders', () => {
  if (open === 1 && !Number.isNaN(start)) before.push(performance.now() - start);
});
dc.subscribe('undici:request:trailers', () => {
  upstreamEnd = performance.now();
});
dc.subscribe('http.server.response.finish', () => {
  if (open === 1 && !Number.isNaN(upstreamEnd)) after.push(performance.now() - upstreamEnd);
  open--;
  start = NaN;
  upstreamEnd = NaN;
});
process.on('exit', () => {
  if (process.env.STEPS_OUT) writeFileSync(process.env.STEPS_OUT, JSON.stringify({ before, after }));
});
