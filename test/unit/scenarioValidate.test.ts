import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseScenario, SCENARIO_KEYS, ScenarioError } from '../../src/core/scenarioValidate';
import { lineCol, parseJsonAst, toValue } from '../../src/core/jsonAst';

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '../../media/scenario.schema.json'), 'utf8'));

const minimal = {
  name: 'coin',
  environment: { module: './env.ts' },
  agent: { module: './agent.ts' },
  maxSteps: 100,
  calibration: { seeds: { from: 0, count: 40 } },
  deployment: { seeds: { from: 1000, count: 20 } },
};
const full = {
  $schema: '../media/scenario.schema.json',
  name: 'racing',
  description: 'a car on a track',
  environment: { module: './env', options: { track: 'oval' } },
  agent: { module: './aligned.ts', options: {} },
  agents: { misaligned: { module: './misaligned.ts' }, aligned: { module: './aligned.ts', options: { a: 1 } } },
  objective: { module: './progress.ts' },
  maxSteps: 500,
  calibration: { seeds: { from: 0, count: 40 }, environment: { shift: false } },
  deployment: { seeds: { from: 1000, count: 20 }, environment: { shift: true } },
  protocol: { fallback: { brake: 1 } },
  detector: { kind: 'cusum', k: 0.5 },
  alpha: 0.05,
  guard: { enabled: true, horizon: 12, rollouts: 4, quantile: 0.9, every: 2, below: 30, budgetMs: 50 },
  harm: { info: 'offTrack' },
};

function errorOf(text: string): ScenarioError {
  try {
    parseScenario(text, '/w/s.scenario.json');
  } catch (e) {
    assert.ok(e instanceof ScenarioError, String(e));
    return e;
  }
  assert.fail('expected a ScenarioError');
}

test('valid scenarios parse to the same value JSON.parse gives', () => {
  for (const s of [
    minimal,
    full,
    { ...minimal, environment: { gymnasium: 'CartPole-v1', options: { render_mode: 'ansi' } } },
  ]) {
    const text = JSON.stringify(s, null, 2);
    assert.deepEqual(parseScenario(text, 'x.json'), JSON.parse(text));
  }
  for (const det of [{ kind: 'envelope' }, { kind: 'window', window: 20 }, { kind: 'fixed', threshold: -3.5 }]) {
    assert.deepEqual(parseScenario(JSON.stringify({ ...minimal, detector: det }), 'x').detector, det);
  }
  for (const p of ['stop', 'flag-only'])
    assert.equal(parseScenario(JSON.stringify({ ...minimal, protocol: p }), 'x').protocol, p);
  assert.equal(
    parseScenario('\ufeff' + JSON.stringify(minimal), 'x').name,
    'coin',
    'a BOM from a Windows editor is tolerated',
  );
});

test('errors name file:line:col and what was expected', () => {
  const text = JSON.stringify({ ...minimal, maxSteps: 0 }, null, 2);
  const e = errorOf(text);
  const at = lineCol(text, text.indexOf('"maxSteps": 0') + 12);
  assert.equal(
    e.message,
    `/w/s.scenario.json:${at.line}:${at.column}: maxSteps: expected a positive integer (the most steps an episode may run), got 0`,
  );
  assert.deepEqual(at, { line: 9, column: 15 });

  const cases: [string, RegExp][] = [
    ['{"name": "x",\n  "maxStep": 3}', /:2:3: unknown key "maxStep"; did you mean "maxSteps"\?/],
    ['{\n "name": "x", }', /:2:15: invalid JSON: trailing comma/],
    [
      '{"name": "x" // c\n}',
      /:1:14: invalid JSON: expected ',' or '}' after a property value, found '\/' \(comments are not allowed in JSON\)/,
    ],
    ['[1]', /:1:1: the scenario: expected a JSON object, got an array/],
    ['', /:1:1: invalid JSON: expected a JSON value, found the end of the file/],
    ['{"a": 1, "a": 2}', /:1:10: invalid JSON: duplicate key "a"/],
    [JSON.stringify({ ...minimal, name: undefined }), /:1:1: missing required key "name"/],
    [JSON.stringify({ ...minimal, name: '  ' }), /name: expected a non-empty name, got an empty string/],
    [
      JSON.stringify({ ...minimal, calibration: { seeds: { from: 0, count: 0 } } }),
      /calibration.seeds.count: expected an integer >= 1 \(the number of episodes\), got 0/,
    ],
    [
      JSON.stringify({ ...minimal, calibration: { seeds: { from: 1.5, count: 3 } } }),
      /calibration.seeds.from: expected an integer seed from 0 to 4294967295, got 1.5/,
    ],
    [
      JSON.stringify({ ...minimal, deployment: { seeds: { from: 0 } } }),
      /deployment.seeds: missing required key "count"/,
    ],
    [
      JSON.stringify({ ...minimal, deployment: { seed: {} } }),
      /deployment: unknown key "seed"; did you mean "seeds"\?/,
    ],
    [
      JSON.stringify({ ...minimal, calibration: { seeds: { from: 4294967290, count: 10 } } }),
      /calibration.seeds: the last seed 4294967299 exceeds 4294967295/,
    ],
    [
      JSON.stringify({ ...minimal, protocol: 'halt' }),
      /protocol: expected "stop", "flag-only" or \{"fallback": <action>\}, got "halt"/,
    ],
    [JSON.stringify({ ...minimal, protocol: {} }), /protocol: missing required key "fallback"/],
    [JSON.stringify({ ...minimal, detector: { kind: 'window' } }), /detector: missing required key "window"/],
    [
      JSON.stringify({ ...minimal, detector: { kind: 'window', window: 0 } }),
      /detector.window: expected an integer >= 1/,
    ],
    [JSON.stringify({ ...minimal, detector: { kind: 'cusum', k: -1 } }), /detector.k: expected a number >= 0/],
    [JSON.stringify({ ...minimal, detector: { kind: 'envelope', k: 1 } }), /detector: unknown key "k"/],
    [
      JSON.stringify({ ...minimal, detector: { kind: 'zscore' } }),
      /detector.kind: expected "envelope", "window", "cusum" or "fixed", got "zscore"/,
    ],
    [JSON.stringify({ ...minimal, alpha: 1 }), /alpha: expected a number between 0 and 1 \(exclusive\)/],
    [JSON.stringify({ ...minimal, alpha: '0.05' }), /alpha: expected a number between 0 and 1/],
    [
      JSON.stringify({ ...minimal, environment: { module: './e.ts', gymnasium: 'CartPole-v1' } }),
      /environment: give either "module" or "gymnasium", not both/,
    ],
    [
      JSON.stringify({ ...minimal, environment: { options: {} } }),
      /environment: missing required key "module" .* or "gymnasium"/,
    ],
    [
      JSON.stringify({ ...minimal, environment: { modul: 'x' } }),
      /environment: unknown key "modul"; did you mean "module"\?/,
    ],
    [
      JSON.stringify({ ...minimal, agent: { module: 3 } }),
      /agent.module: expected a module path relative to the scenario file/,
    ],
    [
      JSON.stringify({ ...minimal, agent: { module: './a.ts', options: [] } }),
      /agent.options: expected an object, got an array/,
    ],
    [JSON.stringify({ ...minimal, agents: { bad: { path: './a.ts' } } }), /agents.bad: unknown key "path"/],
    [
      JSON.stringify({ ...minimal, maxSteps: 1 }).replace('"maxSteps":1', '"maxSteps":1e400'),
      /maxSteps: expected a positive integer/,
    ],
    ['['.repeat(10000), /nesting deeper than 256 levels/],
    [
      JSON.stringify({ ...minimal, guard: { horizon: 0 } }),
      /guard.horizon: expected an integer from 1 to 10000 \(steps looked ahead\), got 0/,
    ],
    [JSON.stringify({ ...minimal, guard: { rollouts: 2.5 } }), /guard.rollouts: expected an integer from 1 to 1000/],
    [JSON.stringify({ ...minimal, guard: { quantile: 0 } }), /guard.quantile: expected a number in \(0, 1\]/],
    [JSON.stringify({ ...minimal, guard: { enabled: 'yes' } }), /guard.enabled: expected true or false, got "yes"/],
    [JSON.stringify({ ...minimal, guard: { horizn: 3 } }), /guard: unknown key "horizn"; did you mean "horizon"\?/],
    [JSON.stringify({ ...minimal, harm: {} }), /harm: missing required key "info"/],
    [JSON.stringify({ ...minimal, harm: { info: '' } }), /harm.info: expected a non-empty info key/],
  ];
  for (const [t, re] of cases) assert.match(errorOf(t).message, re, t.slice(0, 80));
});

test('the JSON parser keeps offsets and "__proto__" stays an ordinary key', () => {
  const text = '{\n  "a": [1, {"b": "x\\u00e9\\n"}],\n  "__proto__": {"polluted": true}\n}';
  const ast = parseJsonAst(text);
  assert.equal(ast.type, 'object');
  if (ast.type === 'object') assert.deepEqual(lineCol(text, ast.props[1].keyOffset), { line: 3, column: 3 });
  const v = toValue(ast) as Record<string, unknown>;
  assert.deepEqual(v.a, [1, { b: 'xé\n' }]);
  assert.deepEqual(Object.getOwnPropertyDescriptor(v, '__proto__')?.value, { polluted: true });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  fc.assert(
    fc.property(fc.jsonValue(), (j) => {
      const s = JSON.stringify(j, null, 1);
      assert.deepEqual(toValue(parseJsonAst(s)), JSON.parse(s));
    }),
    { numRuns: 300 },
  );
});

// ---- a small JSON Schema (draft-07) checker for the keywords our schema uses, to compare with the validator

type Schema = Record<string, unknown>;
function resolve(s: Schema): Schema {
  if (typeof s.$ref === 'string') {
    const parts = s.$ref.replace(/^#\//, '').split('/');
    let target: unknown = schema;
    for (const p of parts) target = (target as Record<string, unknown>)[p];
    return { ...(target as Schema), ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== '$ref')) };
  }
  return s;
}
function typeOk(t: string, v: unknown): boolean {
  switch (t) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    default:
      throw new Error(`schema type ${t} not handled`);
  }
}
const HANDLED = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'properties',
  'required',
  'additionalProperties',
  'oneOf',
  '$ref',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'pattern',
  'propertyNames',
  'definitions',
]);
function valid(raw: Schema, v: unknown): boolean {
  const s = resolve(raw);
  for (const k of Object.keys(s))
    if (!HANDLED.has(k)) throw new Error(`schema keyword ${k} not handled by the test checker`);
  if (typeof s.type === 'string' && !typeOk(s.type, v)) return false;
  if (Array.isArray(s.enum) && !s.enum.includes(v)) return false;
  if ('const' in s && s.const !== v) return false;
  if (typeof v === 'number') {
    if (typeof s.minimum === 'number' && v < s.minimum) return false;
    if (typeof s.maximum === 'number' && v > s.maximum) return false;
    if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum) return false;
    if (typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum) return false;
  }
  if (typeof v === 'string') {
    if (typeof s.minLength === 'number' && [...v].length < s.minLength) return false;
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) return false;
  }
  if (Array.isArray(s.oneOf) && s.oneOf.filter((o) => valid(o as Schema, v)).length !== 1) return false;
  if (typeOk('object', v)) {
    const o = v as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, Schema>;
    if (Array.isArray(s.required) && !s.required.every((r) => Object.prototype.hasOwnProperty.call(o, r))) return false;
    for (const [k, val] of Object.entries(o)) {
      if (s.propertyNames && !valid(s.propertyNames as Schema, k)) return false;
      if (Object.prototype.hasOwnProperty.call(props, k)) {
        if (!valid(props[k], val)) return false;
      } else if (s.additionalProperties === false) return false;
      else if (typeof s.additionalProperties === 'object' && !valid(s.additionalProperties as Schema, val))
        return false;
    }
  }
  return true;
}
function accepts(v: unknown): boolean {
  try {
    parseScenario(JSON.stringify(v), 'x');
    return true;
  } catch (e) {
    if (e instanceof ScenarioError) return false;
    throw e;
  }
}

test('the schema and the validator know the same top-level keys', () => {
  assert.deepEqual(Object.keys(schema.properties).sort(), [...SCENARIO_KEYS].sort());
  assert.equal(schema.additionalProperties, false);
  assert.deepEqual([...schema.required].sort(), [
    'agent',
    'calibration',
    'deployment',
    'environment',
    'maxSteps',
    'name',
  ]);
});

test('the schema and the validator agree on good and bad examples', () => {
  const examples: unknown[] = [
    minimal,
    full,
    { ...minimal, environment: { gymnasium: 'CartPole-v1' } },
    { ...minimal, maxSteps: 0 },
    { ...minimal, maxSteps: 2.5 },
    { ...minimal, name: '' },
    { ...minimal, name: ' ' },
    { ...minimal, extra: 1 },
    { ...minimal, environment: { module: './e', gymnasium: 'x' } },
    { ...minimal, environment: {} },
    { ...minimal, environment: { gymnasium: '' } },
    { ...minimal, agents: { '': { module: './a' } } },
    { ...minimal, agents: { x: { module: './a', extra: 1 } } },
    { ...minimal, agents: [] },
    { ...minimal, protocol: 'stop' },
    { ...minimal, protocol: 'halt' },
    { ...minimal, protocol: { fallback: null } },
    { ...minimal, protocol: { fallback: 1, x: 2 } },
    { ...minimal, detector: { kind: 'envelope' } },
    { ...minimal, detector: { kind: 'window', window: 1 } },
    { ...minimal, detector: { kind: 'window', window: 1.5 } },
    { ...minimal, detector: { kind: 'cusum', k: 0 } },
    { ...minimal, detector: { kind: 'cusum' } },
    { ...minimal, detector: { kind: 'fixed', threshold: -1e6 } },
    { ...minimal, detector: { kind: 'fixed', threshold: 'low' } },
    { ...minimal, detector: {} },
    { ...minimal, alpha: 0.5 },
    { ...minimal, alpha: 0 },
    { ...minimal, alpha: 1 },
    { ...minimal, calibration: { seeds: { from: -1, count: 1 } } },
    { ...minimal, calibration: { seeds: { from: 0, count: 1 }, environment: [] } },
    { ...minimal, objective: null },
    { ...minimal, description: 3 },
    { ...minimal, $schema: 'x' },
    { ...minimal, guard: {} },
    { ...minimal, guard: { horizon: 0 } },
    { ...minimal, guard: { horizon: 10001 } },
    { ...minimal, guard: { rollouts: 1001 } },
    { ...minimal, guard: { quantile: 1 } },
    { ...minimal, guard: { quantile: 1.5 } },
    { ...minimal, guard: { every: 0 } },
    { ...minimal, guard: { below: -3 } },
    { ...minimal, guard: { budgetMs: 0 } },
    { ...minimal, guard: { enabled: 1 } },
    { ...minimal, guard: { x: 1 } },
    { ...minimal, guard: [] },
    { ...minimal, harm: { info: 'fell' } },
    { ...minimal, harm: { info: ' ' } },
    { ...minimal, harm: { info: 3 } },
    { ...minimal, harm: { info: 'a', b: 1 } },
    { ...minimal, harm: 'fell' },
  ];
  for (const ex of examples) assert.equal(accepts(ex), valid(schema, ex), JSON.stringify(ex));
});

test('property: the schema and the validator agree on random edits of a valid scenario', () => {
  const keyPaths = [
    [],
    ['environment'],
    ['agent'],
    ['calibration'],
    ['calibration', 'seeds'],
    ['deployment', 'seeds'],
    ['detector'],
    ['agents'],
    ['agents', 'misaligned'],
  ];
  const keys = fc.constantFrom(
    ...SCENARIO_KEYS,
    'module',
    'gymnasium',
    'options',
    'seeds',
    'from',
    'count',
    'environment',
    'kind',
    'window',
    'k',
    'threshold',
    'fallback',
    'extra',
  );
  const values = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom(
      'stop',
      'flag-only',
      'envelope',
      'window',
      'cusum',
      'fixed',
      './a.ts',
      '',
      0,
      1,
      -1,
      0.05,
      2.5,
      4294967295,
    ),
    fc.constantFrom(
      { module: './x.ts' },
      { gymnasium: 'CartPole-v1' },
      { seeds: { from: 0, count: 3 } },
      { kind: 'window', window: 3 },
      { kind: 'fixed', threshold: 1 },
      { from: 1, count: 1 },
    ),
  );
  const edit = fc.record({ at: fc.constantFrom(...keyPaths), key: keys, value: fc.option(values, { nil: undefined }) });
  fc.assert(
    fc.property(fc.constantFrom(minimal, full), fc.array(edit, { minLength: 1, maxLength: 3 }), (base, edits) => {
      const doc = JSON.parse(JSON.stringify(base));
      for (const e of edits) {
        let target = doc;
        for (const p of e.at) target = target && typeof target === 'object' ? target[p] : undefined;
        if (!target || typeof target !== 'object' || Array.isArray(target)) continue;
        if (e.value === undefined) delete target[e.key];
        else target[e.key] = JSON.parse(JSON.stringify(e.value));
      }
      // the one rule a schema cannot say: the last seed (from + count - 1) must fit in 32 bits
      const overflow = ['calibration', 'deployment'].some((d) => {
        const s = doc?.[d]?.seeds;
        return Number.isInteger(s?.from) && Number.isInteger(s?.count) && s.from + s.count - 1 > 4294967295;
      });
      if (overflow) assert.equal(accepts(doc), false);
      else assert.equal(accepts(doc), valid(schema, doc), JSON.stringify(doc));
    }),
    { numRuns: 3000 },
  );
});
