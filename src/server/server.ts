// The trace language server's entry (dist/server.js). Transport from the command line:
// `--stdio` (Neovim, `objective-monitor lsp --stdio`), `--node-ipc` (vscode-languageclient), `--socket=N`.

import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startTraceServer } from './traceServer';

const transports = ['--stdio', '--node-ipc', '--socket=', '--pipe='];
if (!process.argv.some((a) => transports.some((t) => a === t || (t.endsWith('=') && a.startsWith(t))))) {
  process.stderr.write(
    'objective-monitor language server: give a transport: --stdio, --node-ipc, --socket=<port> or --pipe=<name>\n',
  );
  process.exit(2);
}

// A bug in a handler must not take the server down: the client gives up after 5 crashes in 3 minutes.
// Logged to stderr, which every transport leaves free (stdout may be the LSP stream).
process.on('uncaughtException', (e) => {
  process.stderr.write(`objective-monitor language server: uncaught ${e?.stack ?? String(e)}\n`);
});
process.on('unhandledRejection', (e) => {
  process.stderr.write(
    `objective-monitor language server: unhandled rejection ${e instanceof Error ? e.stack : String(e)}\n`,
  );
});

startTraceServer(createConnection(ProposedFeatures.all));
