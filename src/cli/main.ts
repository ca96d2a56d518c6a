import { run } from './program.js';

// The CLI entry point (bin/tollgate.js imports it). A non-zero code means failure;
// `serve` keeps the process alive until it is told to stop.
process.exitCode = await run(process.argv.slice(2));
