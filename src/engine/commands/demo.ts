// `objective-monitor demo [scenario]`: the quick start. Calibrates and runs the racing scenario
// (or the one named) with its aligned and its misaligned agent and shows where each was flagged.
import { loadScenario, resolveAgent } from '../scenarioLoader';
import type { CliOutput } from '../cliOutput';
import type { Flags } from '../cliOptions';
import { deploy, episodeLine } from './run';

export async function demoCommand(args: string[], flags: Flags, out: CliOutput, signal?: AbortSignal): Promise<number> {
  const scenario = loadScenario(args[0] ?? 'racing');
  const episodes = flags.episodes ?? '10';
  out.line(`Objective Monitor demo: scenario "${scenario.spec.name}" — ${scenario.spec.description ?? ''}`.trimEnd());
  for (const name of Object.keys(scenario.spec.agents ?? { agent: scenario.spec.agent })) {
    const agent = resolveAgent(scenario, name);
    out.line('');
    out.line(`== agent: ${agent.name} ==`);
    const { result } = await deploy(scenario, agent, { ...flags, episodes }, out, signal);
    for (const e of result.episodes) out.line(episodeLine(e));
    const flagged = result.episodes.filter((e) => e.flaggedStep !== null).length;
    out.line(`${flagged} of ${result.episodes.length} deployment episodes flagged; traces in ${result.dir}`);
  }
  out.line('');
  out.line('Next: objective-monitor report racing   (false-alarm and detection rates for every detector)');
  return 0;
}
