// objective-monitor: the command-line face of the engine (and what the VS Code extension runs as a
// child process with --events). Exit codes: 0 fine, 1 a deployment episode was flagged, 2 bad input.
import path from 'node:path';
import { CliOutput } from './cliOutput';
import { parseCommandLine } from './cliOptions';
import { calibrateCommand } from './commands/calibrate';
import { runCommand } from './commands/run';
import { reportCommand } from './commands/report';
import { demoCommand } from './commands/demo';
import { reflagCommand } from './commands/reflag';
import { forkCommand } from './commands/fork';
import { blameCommand } from './commands/blame';
import { mergeCommand } from './commands/merge';
import { builtinScenarioNames } from './scenarioLoader';
import { UsageError } from './usageError';

const HELP = `objective-monitor — watch an agent's base objective step by step and flag the exact step it falls too low

usage:
  objective-monitor calibrate <scenario> [--alpha A] [--detector envelope|window|cusum|fixed] [--agent M] [--shard I/N [-o PARTIAL]]
  objective-monitor run <scenario> [--agent M] [--calibration FILE] [--episodes N | --seed S] [--shard I/N] [--protocol stop|flag-only|fallback] [--guard [--horizon H] [--rollouts N]] [--json]
                              [--junit FILE] [--sarif FILE]
  objective-monitor report <scenario> [--episodes N] [--json]
  objective-monitor report <scenario> --curves [--agent M] [--json]   trade-off curves from recorded traces (runs nothing)
  objective-monitor report <run folder>... [--json]   the same table from recorded runs (e.g. the shards of a run)
  objective-monitor merge <partials...> [-o CALIBRATION]   one calibration from the partials of calibrate --shard
  objective-monitor reflag <trace|run folder>... [--detector K] [--alpha A] [--json]   re-flag recorded traces
  objective-monitor fork <trace> --step N --agent M [--json]   agent M takes over a recorded episode at step N
  objective-monitor blame <trace> --agent M [--json]           the point of no return: the latest step agent M can still save
  objective-monitor demo [scenario]
  objective-monitor lsp --stdio                 the trace-file language server, for any LSP client

<scenario> is a NAME.scenario.json file or a built-in: ${'{builtins}'}; built-in agents: --agent aligned|misaligned

options:
  --agent M            an agent named in the scenario's "agents", or a module file
  --calibration FILE   run: use this stored calibration (e.g. a trusted reference agent's) for the agent
                       under test; it must still fit the scenario, environment and objective
  --alpha A            target false-alarm rate for calibration (default 0.05)
  --detector K         envelope | window | cusum | fixed (default: the scenario's, else cusum);
                       reflag also takes recorded (the default there: the flags as recorded)
  --window W           window length in steps for --detector window (default 20)
  --cusum-k K          CUSUM allowance in standard deviations (default 0.5)
  --threshold H        running-objective threshold for --detector fixed
  --episodes N         deployment episodes to run (default: the scenario's deployment seed count)
  --seed S             run exactly one episode with seed S (re-run an episode)
  --step N             fork: the step where --agent takes over (steps before it replay the recording)
  --distribution D     with --seed: deployment (default) or calibration options for the environment
  --protocol P         at the flag: stop (default), flag-only, or the scenario's fallback action
  --guard              predictive guard: look ahead in copies before each action, stop before a
                       predicted crossing (predicted_stop); its margin is calibrated with the threshold
  --horizon H, --rollouts N, --quantile Q    steps looked ahead (10), rollouts (1), rollouts' quantile (worst)
  --guard-every K, --guard-below L, --guard-budget MS, --guard-record fired|all    cost and recording
  --recording R        full (default for run) or scores (increments and scores only)
  --shard I/N          calibrate, run: only the I-th of N contiguous parts of the seed range (a batch
                       engine runs the N shards; calibrate writes a partial for merge; run --shard
                       needs a current calibration and never recalibrates)
  -o, --output FILE    calibrate --shard: the partial file; merge: the calibration file
  --recalibrate        calibrate again even when the stored calibration is current
  --out DIR            output folder for traces and built-in calibrations (default .objective-monitor)
  --workers N          runner processes (default: one per core)
  --step-timeout MS, --episode-timeout MS, --memory-limit MB    limits for user code
  --python PATH        interpreter for Python modules (default python3)
  --junit FILE         run: also write a JUnit XML report (one test case per episode; a flag is a failure)
  --sarif FILE         run: also write a SARIF 2.1.0 log (results at the flagged step's line in each trace)
  --json               one JSON object on stdout
  --events             the engine's event stream on stdout, one JSON object per line

exit codes: 0 no deployment episode flagged, 1 an episode was flagged, 2 a usage or input error`;

export async function main(argv: string[]): Promise<number> {
  const { command, positionals, flags } = parseCommandLine(argv);
  if (flags.help || command === undefined || command === 'help') {
    const text = HELP.replace('{builtins}', builtinScenarioNames().join(', ') || '(none built)') + '\n';
    // asked for, help is the result (stdout); without a command it explains a usage error (stderr)
    const asked = flags.help || command === 'help';
    (asked ? process.stdout : process.stderr).write(text);
    return asked ? 0 : 2;
  }
  if (command === 'lsp') {
    // The language server is its own bundle; loading it hands the process over to it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle of its own, found beside this one
    require(path.join(__dirname, 'server.js'));
    return new Promise<number>(() => undefined);
  }
  if (flags.json && flags.events) throw new UsageError('--json and --events cannot be combined');
  const out = new CliOutput(flags.events ? 'events' : flags.json ? 'json' : 'human');

  // Ctrl-C stops the run: runners are killed and open traces end `killed_by_user`.
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    out.notice('stopping: killing runners (press Ctrl-C again to quit at once)');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    switch (command) {
      case 'calibrate':
        return await calibrateCommand(positionals, flags, out, abort.signal);
      case 'run':
        return await runCommand(positionals, flags, out, abort.signal);
      case 'report':
        return await reportCommand(positionals, flags, out, abort.signal);
      case 'demo':
        return await demoCommand(positionals, flags, out, abort.signal);
      case 'reflag':
        return await reflagCommand(positionals, flags, out);
      case 'fork':
        return await forkCommand(positionals, flags, out, abort.signal);
      case 'blame':
        return await blameCommand(positionals, flags, out, abort.signal);
      case 'merge':
        return await mergeCommand(positionals, flags, out);
      default:
        throw new UsageError(
          `unknown command "${command}"; commands: calibrate, run, report, reflag, merge, fork, blame, demo, lsp`,
        );
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function isInputError(e: unknown): e is Error {
  return e instanceof UsageError || (e instanceof Error && e.name === 'ScenarioError');
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      if (isInputError(e)) process.stderr.write(`objective-monitor: ${e.message}\n`);
      else process.stderr.write(`objective-monitor: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
