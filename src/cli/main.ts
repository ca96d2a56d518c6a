// The CLI entry point (bin/tollgate.js imports it). A non-zero code means failure;
// `serve` keeps the process alive until it is told to stop.
const argv = process.argv.slice(2);

// A reader that goes away (`tollgate export | head`) ends a command quietly, as Unix tools do;
// the gateway keeps serving if whatever reads its output dies.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  if (argv[0] !== 'serve') process.exit(0);
});
// A log whose reader went away (`tollgate serve 2>&1 | head`) has nowhere to report that. Unheard,
// each failed write was an uncaught exception, logged to stderr again: a loop that burnt a core
// and kept `serve` from ever exiting.
process.stderr.on('error', () => undefined);

// An hourly `tollgate import` that finds nothing new answers from a stat of each log
// file, before the rest of the CLI (config, storage, pricing) is loaded.
let code: number | undefined;
if (argv[0] === 'import') {
  const { quickImport } = await import('../importers/quick-check.js');
  code = quickImport(argv.slice(1), process.env, (t) => void process.stdout.write(t));
}
if (code === undefined && argv[0] === 'import' && !argv.includes('--help') && !argv.includes('-h')) {
  const { runImportOnly } = await import('./run-program.js');
  const { stdio } = await import('./output.js');
  code = await runImportOnly(argv, stdio);
}
if (code === undefined) {
  const { run } = await import('./program.js');
  code = await run(argv);
}
process.exitCode = code;
// An import ends here rather than with Node freeing the heap its read built: 895 -> 870 ms of CPU
// for the first import of the benchmark corpus (docs/benchmarks.md). Once stdout and stderr
// have taken what was written to them (a pipe may still be holding the summary).
if (argv[0] === 'import') {
  const flushed = (s: NodeJS.WriteStream) => new Promise<void>((done) => s.write('', () => done()));
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
