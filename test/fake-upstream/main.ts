import { parseArgs } from 'node:util';
import { startFakeUpstream } from './server.js';

// Standalone fake for benchmarks and manual runs:
//   npx tsx test/fake-upstream/main.ts --port 9000 [--host 127.0.0.1] [--record]
// Recording is off by default so that a long benchmark does not grow memory.
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    record: { type: 'boolean', default: false },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`invalid --port: ${values.port}\n`);
  process.exit(2);
}

const fake = await startFakeUpstream({ port, host: values.host, record: values.record });
process.stdout.write(`${fake.url}\n`);

const stop = () => {
  void fake.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
