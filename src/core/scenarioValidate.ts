// Validates a NAME.scenario.json with errors a user can act on: `file:line:col: what was expected`.
// Unknown keys are errors (with a did-you-mean), because a misspelt optional key would otherwise be
// ignored silently. The published JSON Schema (media/scenario.schema.json) says the same things;
// test/unit/scenarioValidate.test.ts keeps the two in agreement.

import { JsonSyntaxError, type JsonNode, lineCol, parseJsonAst, toValue } from './jsonAst';
import type { ModuleRef, ScenarioFile } from './scenario';
import { MAX_HORIZON } from './guardTypes';

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
    this.name = 'ScenarioError';
  }
}

type ObjNode = Extract<JsonNode, { type: 'object' }>;

const MODULE_HINT = 'a module path relative to the scenario file, e.g. "./agent.ts"';
const MAX_SEED = 2 ** 32 - 1;

class Checker {
  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  fail(offset: number, detail: string): never {
    const { line, column } = lineCol(this.text, offset);
    throw new ScenarioError(this.file, line, column, detail);
  }

  got(n: JsonNode): string {
    switch (n.type) {
      case 'object':
        return 'an object';
      case 'array':
        return 'an array';
      case 'string':
        return n.value.length > 30 ? `a string "${n.value.slice(0, 30)}…"` : `"${n.value}"`;
      case 'null':
        return 'null';
      default:
        return String(n.value);
    }
  }

  object(n: JsonNode, path: string, expected = 'an object'): ObjNode {
    if (n.type !== 'object') this.fail(n.offset, `${path}: expected ${expected}, got ${this.got(n)}`);
    return n;
  }

  /** Rejects unknown keys, with the closest allowed one as a hint. */
  keys(n: ObjNode, path: string, allowed: readonly string[]): void {
    for (const p of n.props) {
      if (allowed.includes(p.key)) continue;
      const near = closest(p.key, allowed);
      const hint = near ? `; did you mean "${near}"?` : `; allowed: ${allowed.map((a) => `"${a}"`).join(', ')}`;
      this.fail(p.keyOffset, `${path ? `${path}: ` : ''}unknown key "${p.key}"${hint}`);
    }
  }

  get(n: ObjNode, key: string): JsonNode | undefined {
    return n.props.find((p) => p.key === key)?.value;
  }

  need(n: ObjNode, key: string, path: string, what: string): JsonNode {
    const v = this.get(n, key);
    if (v === undefined) this.fail(n.offset, `${path ? `${path}: ` : ''}missing required key "${key}" (${what})`);
    return v;
  }

  string(n: JsonNode, path: string, what = 'a string', nonEmpty = true): void {
    if (n.type !== 'string') this.fail(n.offset, `${path}: expected ${what}, got ${this.got(n)}`);
    if (nonEmpty && n.value.trim() === '') this.fail(n.offset, `${path}: expected ${what}, got an empty string`);
  }

  integer(n: JsonNode, path: string, min: number, max: number, what: string): void {
    if (n.type !== 'number' || !Number.isInteger(n.value) || n.value < min || n.value > max) {
      this.fail(n.offset, `${path}: expected ${what}, got ${this.got(n)}`);
    }
  }

  moduleRef(n: JsonNode, path: string): void {
    const o = this.object(n, path, `{"module": "./file.ts", "options": {...}}`);
    this.keys(o, path, ['module', 'options']);
    this.string(this.need(o, 'module', path, MODULE_HINT), `${path}.module`, MODULE_HINT);
    const opts = this.get(o, 'options');
    if (opts) this.object(opts, `${path}.options`);
  }

  /** An agent: a module, or a trained network `{"onnx": "./policy.onnx", "options": {...}}`. */
  agentRef(n: JsonNode, path: string): void {
    if (n.type === 'object' && n.props.some((p) => p.key === 'onnx')) {
      if (n.props.some((p) => p.key === 'module'))
        this.fail(n.offset, `${path}: give either "module" or "onnx", not both`);
      this.keys(n, path, ['onnx', 'options']);
      const hint = 'a path to an .onnx model relative to the scenario file, e.g. "./policy.onnx"';
      const v = this.get(n, 'onnx')!;
      this.string(v, `${path}.onnx`, hint);
      if (!(v as { value: string }).value.toLowerCase().endsWith('.onnx'))
        this.fail(v.offset, `${path}.onnx: expected ${hint}, got ${this.got(v)}`);
      const opts = this.get(n, 'options');
      if (opts) this.object(opts, `${path}.options`);
      return;
    }
    this.moduleRef(n, path);
  }

  environment(n: JsonNode): void {
    const path = 'environment';
    const o = this.object(n, path, `{"module": "./env.ts"} or {"gymnasium": "CartPole-v1"}`);
    const hasModule = this.get(o, 'module') !== undefined;
    const hasGym = this.get(o, 'gymnasium') !== undefined;
    if (hasModule && hasGym) this.fail(o.offset, `${path}: give either "module" or "gymnasium", not both`);
    if (!hasModule && !hasGym) {
      this.keys(o, path, ['module', 'gymnasium', 'options']);
      this.fail(
        o.offset,
        `${path}: missing required key "module" (${MODULE_HINT}) or "gymnasium" (a registered Gymnasium id, e.g. "CartPole-v1")`,
      );
    }
    if (hasGym) {
      this.keys(o, path, ['gymnasium', 'options']);
      this.string(this.get(o, 'gymnasium')!, `${path}.gymnasium`, 'a registered Gymnasium id, e.g. "CartPole-v1"');
      const opts = this.get(o, 'options');
      if (opts) this.object(opts, `${path}.options`);
    } else {
      this.moduleRef(o, path);
    }
  }

  distribution(n: JsonNode, path: string): void {
    const o = this.object(n, path, `{"seeds": {"from": 0, "count": 20}}`);
    this.keys(o, path, ['seeds', 'environment']);
    const seeds = this.object(
      this.need(o, 'seeds', path, '{"from": <first seed>, "count": <number of episodes>}'),
      `${path}.seeds`,
    );
    this.keys(seeds, `${path}.seeds`, ['from', 'count']);
    this.integer(
      this.need(seeds, 'from', `${path}.seeds`, 'the first seed, an integer >= 0'),
      `${path}.seeds.from`,
      0,
      MAX_SEED,
      `an integer seed from 0 to ${MAX_SEED}`,
    );
    this.integer(
      this.need(seeds, 'count', `${path}.seeds`, 'the number of episodes, an integer >= 1'),
      `${path}.seeds.count`,
      1,
      1e7,
      'an integer >= 1 (the number of episodes)',
    );
    const from = (this.get(seeds, 'from') as { value: number }).value;
    const count = (this.get(seeds, 'count') as { value: number }).value;
    if (from + count - 1 > MAX_SEED)
      this.fail(seeds.offset, `${path}.seeds: the last seed ${from + count - 1} exceeds ${MAX_SEED}`);
    const env = this.get(o, 'environment');
    if (env) this.object(env, `${path}.environment`, 'an object of environment options');
  }

  protocol(n: JsonNode): void {
    const what = '"stop", "flag-only" or {"fallback": <action>}';
    if (n.type === 'string') {
      if (n.value !== 'stop' && n.value !== 'flag-only')
        this.fail(n.offset, `protocol: expected ${what}, got ${this.got(n)}`);
      return;
    }
    const o = this.object(n, 'protocol', what);
    this.keys(o, 'protocol', ['fallback']);
    this.need(o, 'fallback', 'protocol', 'the action used from the flag on');
  }

  detector(n: JsonNode): void {
    const path = 'detector';
    const o = this.object(n, path, '{"kind": "envelope" | "window" | "cusum" | "fixed", ...}');
    const kind = this.need(o, 'kind', path, '"envelope", "window", "cusum" or "fixed"');
    const kinds = { envelope: [], window: ['window'], cusum: ['k'], fixed: ['threshold'] } as const;
    if (kind.type !== 'string' || !(kind.value in kinds)) {
      this.fail(kind.offset, `${path}.kind: expected "envelope", "window", "cusum" or "fixed", got ${this.got(kind)}`);
    }
    const k = kind.value as keyof typeof kinds;
    this.keys(o, path, ['kind', ...kinds[k]]);
    if (k === 'window') {
      this.integer(
        this.need(o, 'window', path, 'the number of increments summed, an integer >= 1'),
        `${path}.window`,
        1,
        1e9,
        'an integer >= 1 (the number of increments summed)',
      );
    } else if (k === 'cusum') {
      const v = this.need(o, 'k', path, 'the allowance in standard deviations, a number >= 0');
      if (v.type !== 'number' || !Number.isFinite(v.value) || v.value < 0)
        this.fail(
          v.offset,
          `${path}.k: expected a number >= 0 (the allowance in standard deviations), got ${this.got(v)}`,
        );
    } else if (k === 'fixed') {
      const v = this.need(o, 'threshold', path, 'the running-objective level below which a step alarms');
      if (v.type !== 'number' || !Number.isFinite(v.value))
        this.fail(v.offset, `${path}.threshold: expected a finite number, got ${this.got(v)}`);
    }
  }

  guard(n: JsonNode): void {
    const path = 'guard';
    const o = this.object(n, path, '{"enabled": true, "horizon": 10, "rollouts": 1, ...}');
    this.keys(o, path, ['enabled', 'horizon', 'rollouts', 'quantile', 'every', 'below', 'budgetMs']);
    const enabled = this.get(o, 'enabled');
    if (enabled && enabled.type !== 'boolean')
      this.fail(enabled.offset, `${path}.enabled: expected true or false, got ${this.got(enabled)}`);
    const int = (key: string, max: number, what: string) => {
      const v = this.get(o, key);
      if (v) this.integer(v, `${path}.${key}`, 1, max, what);
    };
    int('horizon', MAX_HORIZON, `an integer from 1 to ${MAX_HORIZON} (steps looked ahead)`);
    int('rollouts', 1000, 'an integer from 1 to 1000 (rollouts per look-ahead)');
    int('every', 1e9, 'an integer >= 1 (look ahead before every k-th step)');
    const num = (key: string, ok: (x: number) => boolean, what: string) => {
      const v = this.get(o, key);
      if (v && (v.type !== 'number' || !Number.isFinite(v.value) || !ok(v.value)))
        this.fail(v.offset, `${path}.${key}: expected ${what}, got ${this.got(v)}`);
    };
    num('quantile', (x) => x > 0 && x <= 1, "a number in (0, 1] (the rollouts' quantile used as the prediction)");
    num(
      'below',
      () => true,
      'a finite number (look ahead only when the running objective is less than this above the threshold)',
    );
    num('budgetMs', (x) => x > 0, 'a number of milliseconds > 0 (time budget per look-ahead)');
  }

  harm(n: JsonNode): void {
    const o = this.object(n, 'harm', '{"info": "KEY"} (a step whose info[KEY] is truthy is a harmful event)');
    this.keys(o, 'harm', ['info']);
    this.string(
      this.need(o, 'info', 'harm', 'the info key that marks a harmful step'),
      'harm.info',
      'a non-empty info key',
    );
  }
}

export const SCENARIO_KEYS = [
  '$schema',
  'name',
  'description',
  'environment',
  'agent',
  'agents',
  'objective',
  'maxSteps',
  'calibration',
  'deployment',
  'protocol',
  'detector',
  'alpha',
  'guard',
  'harm',
] as const;

/** Parses and validates a scenario file's text; throws ScenarioError naming file:line:col. */
export function parseScenario(text: string, file: string): ScenarioFile {
  const c = new Checker(text, file);
  let root: JsonNode;
  try {
    root = parseJsonAst(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) c.fail(e.offset, `invalid JSON: ${e.message}`);
    throw e;
  }
  const o = c.object(root, 'the scenario', 'a JSON object');
  c.keys(o, '', SCENARIO_KEYS);
  const schema = c.get(o, '$schema');
  if (schema) c.string(schema, '$schema', 'a string', false);
  c.string(c.need(o, 'name', '', 'a short name for the scenario'), 'name', 'a non-empty name');
  const desc = c.get(o, 'description');
  if (desc) c.string(desc, 'description', 'a string', false);
  c.environment(c.need(o, 'environment', '', `{"module": "./env.ts"} or {"gymnasium": "CartPole-v1"}`));
  c.agentRef(c.need(o, 'agent', '', `{"module": "./agent.ts"}`), 'agent');
  const agents = c.get(o, 'agents');
  if (agents) {
    const a = c.object(agents, 'agents', 'an object of named agents, e.g. {"misaligned": {"module": "./m.ts"}}');
    for (const p of a.props) {
      if (p.key.trim() === '') c.fail(p.keyOffset, 'agents: an agent name must not be empty');
      c.agentRef(p.value, `agents.${p.key}`);
    }
  }
  const objective = c.get(o, 'objective');
  if (objective) c.moduleRef(objective, 'objective');
  c.integer(
    c.need(o, 'maxSteps', '', 'the most steps an episode may run, an integer >= 1'),
    'maxSteps',
    1,
    Number.MAX_SAFE_INTEGER,
    'a positive integer (the most steps an episode may run)',
  );
  c.distribution(
    c.need(o, 'calibration', '', 'the training distribution: {"seeds": {"from": 0, "count": 40}}'),
    'calibration',
  );
  c.distribution(
    c.need(o, 'deployment', '', 'the deployment distribution: {"seeds": {"from": 1000, "count": 20}}'),
    'deployment',
  );
  const protocol = c.get(o, 'protocol');
  if (protocol) c.protocol(protocol);
  const detector = c.get(o, 'detector');
  if (detector) c.detector(detector);
  const guard = c.get(o, 'guard');
  if (guard) c.guard(guard);
  const harm = c.get(o, 'harm');
  if (harm) c.harm(harm);
  const alpha = c.get(o, 'alpha');
  if (alpha && (alpha.type !== 'number' || !(alpha.value > 0 && alpha.value < 1))) {
    c.fail(alpha.offset, `alpha: expected a number between 0 and 1 (exclusive), e.g. 0.05, got ${c.got(alpha)}`);
  }
  const spec = toValue(root) as ScenarioFile;
  // An ONNX agent is a module whose file is the model: the runner recognises the extension.
  const fromOnnx = (r: ModuleRef & { onnx?: string }): ModuleRef =>
    r.onnx !== undefined ? { module: r.onnx, ...(r.options ? { options: r.options } : {}) } : r;
  spec.agent = fromOnnx(spec.agent);
  if (spec.agents) for (const k of Object.keys(spec.agents)) spec.agents[k] = fromOnnx(spec.agents[k]);
  return spec;
}

function closest(key: string, allowed: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = 3;
  for (const a of allowed) {
    const d = editDistance(key.toLowerCase(), a.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = a;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 99;
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
