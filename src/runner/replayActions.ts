// Fork (issue 14): the runner re-creates the state at step N by replaying the parent's recorded
// actions for steps 0..N-1, then hands over to the agent. The agent is not asked during the replay
// (its act() is never called for those steps), so its randomness and state start fresh at N.
import type { Agent } from '../core/moduleApi';
import type { ForkReplay } from '../core/wire';

export function withReplay(agent: Agent, replay: ForkReplay | undefined): Agent {
  if (!replay || replay.actions.length === 0) return agent;
  const { actions } = replay;
  // act() is called once per step until a fallback takes over for good, so the call count is the step
  // (a fork restored from a snapshot starts at the snapshot's step)
  let calls = replay.restore ?? 0;
  const act = agent.act.bind(agent);
  const replaying: Agent = {
    act(observation: unknown, info?: unknown) {
      const k = calls++;
      return k < actions.length ? actions[k] : act(observation as never, info as never);
    },
  };
  // the episode loop calls only act() and reset() on an agent; both run on the agent itself
  if (typeof agent.reset === 'function') replaying.reset = agent.reset.bind(agent);
  return replaying;
}
