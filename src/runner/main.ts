// The runner child: started by the engine with records on fd 3 and control on fd 4 (core/wire.ts).
// It says hello, then runs the episodes it is sent, one at a time, until shutdown or fd 4 closes.
import net from 'node:net';
import { CONTROL_FD, WIRE_VERSION, type ControlMessage, type EpisodeCommand } from '../core/wire';
import { sendRecord, setBrokenPipeHandler } from './channel';
import { runEpisode } from './episodeLoop';
import { installExitGuard, runnerExit } from './exitGuard';
import { watchParent } from './parentWatch';

declare const RUNNER_VERSION: string | undefined;
const version = typeof RUNNER_VERSION === 'string' ? RUNNER_VERSION : '0.1.0';

installExitGuard();
setBrokenPipeHandler(() => runnerExit(3));
watchParent();
sendRecord({ t: 'hello', wire: WIRE_VERSION, runtime: 'node', pid: process.pid, version });

const queue: EpisodeCommand[] = [];
/** the last calibration the engine sent, kept for the commands that name it by its id */
let held: { id: string; calibration: EpisodeCommand['calibration'] } | null = null;
let running = false;

async function drain(): Promise<void> {
  if (running) return;
  running = true;
  while (queue.length) await runEpisode(queue.shift()!);
  running = false;
}

function onControl(line: string): void {
  let msg: ControlMessage;
  try {
    msg = JSON.parse(line) as ControlMessage;
  } catch {
    process.stderr.write(`runner: bad control line ignored: ${line.slice(0, 200)}\n`);
    return;
  }
  if (msg.t === 'shutdown') runnerExit(0);
  if (msg.t === 'episode') {
    // the engine sends a calibration once, then names it by its id (core/wire.ts)
    if (msg.heldCalibration !== undefined) {
      if (!held || held.id !== msg.heldCalibration) {
        process.stderr.write(
          `runner: an episode command names calibration ${JSON.stringify(msg.heldCalibration)}, which this runner was not sent\n`,
        );
        runnerExit(65);
      }
      msg.calibration = held!.calibration;
    } else if (msg.calibrationId !== undefined) held = { id: msg.calibrationId, calibration: msg.calibration };
    queue.push(msg);
    void drain();
  }
}

const control = new net.Socket({ fd: CONTROL_FD, readable: true, writable: false });
let pending = '';
control.setEncoding('utf8');
control.on('data', (chunk: string) => {
  pending += chunk;
  let nl: number;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    if (line) onControl(line);
  }
});
// The engine closed the control channel (it finished, or it died): leave.
const leave = (): void => {
  runnerExit(0);
};
control.on('end', leave);
control.on('close', leave);
control.on('error', leave);
