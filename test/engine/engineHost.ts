// A stand-in for the engine's host process (the CLI, the extension's engine child) that a test can
// kill: runs one request given as JSON on the command line, prints events as JSON lines.
import { runEpisodes } from '../../src/engine/index';
import { request, type ReqOptions } from './helpers';

const opts = JSON.parse(process.argv[2]) as ReqOptions & { tracesDir: string };
void runEpisodes({
  ...request(opts),
  tracesDir: opts.tracesDir,
  onEvent: (e) => process.stdout.write(JSON.stringify(e) + '\n'),
}).then((r) => {
  process.stdout.write(JSON.stringify({ type: 'done', episodes: r.episodes.length }) + '\n');
});
