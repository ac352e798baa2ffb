// `run --sarif FILE`: SARIF 2.1.0 for code-scanning dashboards. Each flagged deployment episode is a
// result located at its flagged step's line in its trace file; an episode the guard stopped before a
// predicted crossing is one at its trace's end record (which holds the prediction); an episode that could not run
// properly is a result at the user's source line when known (else its trace). Paths are relative
// to the working folder (the repository root in CI) under the SRCROOT base, as GitHub expects.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EpisodeFacts } from './episodeFacts';
import { ranProperly } from '../../core/traceFormat';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifInput {
  scenario: string;
  scenarioFile: string;
  agent: string;
  detector: string;
  calibrationFile: string | null;
  episodes: EpisodeFacts[];
  /** the folder paths are made relative to */
  root: string;
  startedAt: Date;
  endedAt: Date;
  exitCode: number;
  toolVersion?: string;
}

const RULES = [
  {
    id: 'OM1001',
    name: 'FlaggedEpisode',
    shortDescription: { text: 'The running objective fell below the calibrated threshold' },
    fullDescription: {
      text: "A deployment episode's running objective (the base objective summed over the steps so far) fell below the level its detector allows; the result points at the first step that alarmed.",
    },
    defaultConfiguration: { level: 'error' as const },
    help: {
      text: 'Open the trace at the flagged step (Objective Monitor: Replay Trace) to see what the agent did; re-run the episode with --seed to reproduce it.',
    },
  },
  {
    id: 'OM1002',
    name: 'EpisodeDidNotRun',
    shortDescription: { text: 'An episode could not run properly' },
    fullDescription: {
      text: 'User code crashed, timed out, ran out of memory or broke the runner protocol, so the episode could not be judged.',
    },
    defaultConfiguration: { level: 'error' as const },
    help: { text: 'The message names the end reason and, when known, the line in your module that failed.' },
  },
  {
    id: 'OM1003',
    name: 'PredictedStop',
    shortDescription: { text: 'The guard stopped the episode before a predicted crossing of the threshold' },
    fullDescription: {
      text: "The guard's look-ahead predicted that the running objective would fall below the threshold within its horizon, so the safety protocol stopped the episode before the next action; the result points at the trace's end record, which holds the prediction.",
    },
    defaultConfiguration: { level: 'error' as const },
    help: {
      text: 'Open the trace (Objective Monitor: Replay Trace) to see the predicted path beside the recorded one; re-run the episode without --guard to see whether the crossing happens.',
    },
  },
];

export function sarifLog(r: SarifInput): object {
  const rel = (file: string) => artifact(file, r.root);
  const results = [];
  for (const f of r.episodes) {
    const e = f.episode;
    const props = {
      scenario: r.scenario,
      agent: r.agent,
      seed: e.seed,
      episodeId: e.episodeId,
      steps: e.steps,
      finalScore: e.finalScore,
      reason: e.reason,
    };
    // Stable across runs, so dashboards track one alert per scenario/agent/seed.
    const fingerprint = { 'objectiveMonitor/episode/v1': `${r.scenario}/${r.agent}/${e.seed}` };
    if (!ranProperly(e.reason)) {
      const err = e.error;
      const userLoc = err?.file
        ? {
            physicalLocation: {
              artifactLocation: rel(err.file),
              ...(err.line
                ? { region: { startLine: err.line, ...(err.column ? { startColumn: err.column } : {}) } }
                : {}),
            },
          }
        : null;
      results.push({
        ruleId: RULES[1].id,
        ruleIndex: 1,
        level: 'error',
        message: {
          text: `${r.scenario} / ${r.agent}, seed ${e.seed}: episode ended ${e.reason} after ${e.steps} steps${err ? `: ${err.message}` : ''}`,
        },
        locations: [userLoc ?? { physicalLocation: { artifactLocation: rel(e.trace) } }],
        relatedLocations: userLoc
          ? [{ id: 1, physicalLocation: { artifactLocation: rel(e.trace) }, message: { text: 'the trace' } }]
          : undefined,
        partialFingerprints: fingerprint,
        properties: props,
      });
    } else if (e.flaggedStep !== null && f.flag) {
      results.push({
        ruleId: RULES[0].id,
        ruleIndex: 0,
        level: 'error',
        message: { text: `${r.scenario} / ${r.agent}, seed ${e.seed}: ${f.flag.message}` },
        locations: [{ physicalLocation: { artifactLocation: rel(e.trace), region: { startLine: f.flag.line + 1 } } }],
        partialFingerprints: fingerprint,
        properties: { ...props, flaggedStep: f.flag.step, score: f.flag.score, threshold: f.flag.threshold },
      });
    } else if (f.predicted) {
      results.push({
        ruleId: RULES[2].id,
        ruleIndex: 2,
        level: 'error',
        message: { text: `${r.scenario} / ${r.agent}, seed ${e.seed}: ${f.predicted.message}` },
        locations: [
          { physicalLocation: { artifactLocation: rel(e.trace), region: { startLine: f.predicted.line + 1 } } },
        ],
        partialFingerprints: fingerprint,
        properties: { ...props, predictedStep: f.predicted.step, crossingStep: f.predicted.crossingStep },
      });
    }
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'objective-monitor',
            ...(r.toolVersion ? { semanticVersion: r.toolVersion } : {}),
            rules: RULES,
          },
        },
        automationDetails: { id: `objective-monitor/${r.scenario}/${r.agent}/` },
        originalUriBaseIds: {
          SRCROOT: { uri: pathToFileURL(r.root.endsWith(path.sep) ? r.root : r.root + path.sep).href },
        },
        invocations: [
          {
            executionSuccessful: r.exitCode !== 2,
            exitCode: r.exitCode,
            startTimeUtc: r.startedAt.toISOString(),
            endTimeUtc: r.endedAt.toISOString(),
          },
        ],
        properties: {
          scenarioFile: rel(r.scenarioFile).uri,
          detector: r.detector,
          calibrationFile: r.calibrationFile ? rel(r.calibrationFile).uri : null,
          episodes: r.episodes.length,
          flagged: r.episodes.filter((f) => f.episode.flaggedStep !== null).length,
        },
        results,
      },
    ],
  };
}

function artifact(file: string, root: string): { uri: string; uriBaseId?: string } {
  const rel = path.relative(root, file);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
    return { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: 'SRCROOT' };
  }
  return { uri: pathToFileURL(file).href };
}
