// An agent that is a trained network: `"agent": { "onnx": "./policy.onnx", "options": {...} }`, run
// with onnxruntime-node inside the runner child. The session is created once per runner (cached by
// file) and shared by every episode; each act() flattens the observation into the model's input,
// runs it, and turns the output into an action. Options (all optional):
//   "input" / "output": the model's input / output name (default: its first);
//   "observation": the observation's keys to feed, in order (dotted paths, e.g. ["cart.x", "pole.angle"]);
//                  default: every number in the observation, arrays in order and objects in key order;
//   "actions": "argmax" (default: the index of the largest output), a list (the action at the argmax's
//              index, e.g. [-1, 0, 1]), or "continuous" (the output vector itself).
import Module from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { LoadError } from './loadModule';

export interface OnnxAgentOptions {
  input?: string;
  output?: string;
  observation?: string[];
  actions?: 'argmax' | 'continuous' | unknown[];
}

interface Model {
  session: Ort.InferenceSession;
  ort: typeof Ort;
  input: string;
  output: string;
  /** numbers per observation the input takes (non-batch dimensions), or null when the model leaves it open */
  size: number | null;
  /** the input's full shape as the model declares it, for messages */
  shape: readonly (number | string)[];
  /** the input's shape with the batch dimension set to 1 (or as declared when it has none) */
  feedShape: (n: number) => number[];
  type: 'float32' | 'float64';
}

const models = new Map<string, Promise<Model>>();

const KNOWN = ['input', 'output', 'observation', 'actions'];

export function isOnnxFile(file: string): boolean {
  return file.toLowerCase().endsWith('.onnx');
}

export function onnxAgent(
  file: string,
  options: Record<string, unknown>,
): { act: (observation: unknown) => Promise<unknown> } {
  const opts = checkOptions(file, options);
  return {
    act: async (observation: unknown) => {
      const m = await model(file, opts);
      const values = flatten(file, observation, opts.observation);
      if (m.size !== null && values.length !== m.size) {
        throw new Error(
          `${file}: the model's input "${m.input}" has shape [${m.shape.join(', ')}], ${m.size} numbers per observation, but the observation ${preview(observation)} flattens to ${values.length}${opts.observation ? ` (options.observation: ${JSON.stringify(opts.observation)})` : ''}; set "options": { "observation": [...] } to choose the ${m.size} values to feed`,
        );
      }
      const data = m.type === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
      const feeds = { [m.input]: new m.ort.Tensor(m.type, data, m.feedShape(values.length)) };
      const out = (await m.session.run(feeds))[m.output];
      return toAction(file, m.output, out, opts.actions);
    },
  };
}

function checkOptions(file: string, o: Record<string, unknown>): OnnxAgentOptions {
  const bad = (what: string) => new LoadError({ message: `${file}: agent options: ${what}`, file, phase: 'load' });
  for (const k of Object.keys(o))
    if (!KNOWN.includes(k)) throw bad(`unknown option "${k}" (expected ${KNOWN.join(', ')})`);
  for (const k of ['input', 'output'] as const)
    if (o[k] !== undefined && typeof o[k] !== 'string')
      throw bad(`"${k}" must be the name of the model's ${k}, a string`);
  if (
    o.observation !== undefined &&
    !(
      Array.isArray(o.observation) &&
      o.observation.length > 0 &&
      o.observation.every((k) => typeof k === 'string' && k !== '')
    )
  ) {
    throw bad(
      '"observation" must be a list of the observation\'s keys to feed, in order, e.g. ["position", "velocity"]',
    );
  }
  const a = o.actions;
  if (a !== undefined && a !== 'argmax' && a !== 'continuous' && !(Array.isArray(a) && a.length > 0)) {
    throw bad('"actions" must be "argmax", "continuous", or a list of actions indexed by the argmax, e.g. [-1, 0, 1]');
  }
  return o as OnnxAgentOptions;
}

function model(file: string, opts: OnnxAgentOptions): Promise<Model> {
  const key = `${file}\0${opts.input ?? ''}\0${opts.output ?? ''}`;
  let m = models.get(key);
  if (!m) {
    m = load(file, opts);
    models.set(key, m);
  }
  return m;
}

async function load(file: string, opts: OnnxAgentOptions): Promise<Model> {
  const ort = loadOrt(file);
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (e) {
    throw new Error(`${file}: not a loadable ONNX model: ${(e as Error).message}`, { cause: e });
  }
  const input = opts.input ?? session.inputNames[0];
  const output = opts.output ?? session.outputNames[0];
  if (!session.inputNames.includes(input))
    throw new Error(`${file}: the model has no input "${input}" (inputs: ${session.inputNames.join(', ')})`);
  if (!session.outputNames.includes(output))
    throw new Error(`${file}: the model has no output "${output}" (outputs: ${session.outputNames.join(', ')})`);
  if (session.inputNames.length > 1)
    throw new Error(
      `${file}: the model takes ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); an ONNX agent feeds one, the observation`,
    );
  const meta = session.inputMetadata.find((x) => x.name === input);
  const shape = meta && meta.isTensor ? meta.shape : [];
  const type = meta && meta.isTensor && meta.type === 'float64' ? 'float64' : 'float32';
  if (meta && meta.isTensor && meta.type !== 'float32' && meta.type !== 'float64') {
    throw new Error(
      `${file}: the model's input "${input}" is ${meta.type}; an ONNX agent feeds observations as float32 or float64`,
    );
  }
  // [batch, n...] (batch symbolic or 1) or [n]: the observation fills the non-batch dimensions.
  const batched = shape.length >= 2;
  const rest = batched ? shape.slice(1) : shape;
  const size =
    rest.length > 0 && rest.every((d) => typeof d === 'number' && d > 0)
      ? rest.reduce<number>((p, d) => p * (d as number), 1)
      : null;
  const feedShape = (n: number) => (batched ? [1, ...(size === null ? [n] : (rest as number[]))] : [n]);
  return { session, ort, input, output, size, shape, feedShape, type };
}

/** onnxruntime-node from the model's folder upward (the user's project, as npm packages of user
 *  modules are), else the one beside this runner. Loaded on first use: runners without an ONNX
 *  agent never pay for the native library. The .vsix does not carry its 45 MB of binaries. */
function loadOrt(file: string): typeof Ort {
  const errors: string[] = [];
  for (const req of [Module.createRequire(file), require]) {
    try {
      return req('onnxruntime-node') as typeof Ort;
    } catch (e) {
      errors.push((e as Error).message.split('\n')[0]);
    }
  }
  throw new Error(
    `${file}: an ONNX agent needs the onnxruntime-node package: run \`npm install onnxruntime-node\` in the scenario's folder (${errors[0]})`,
  );
}

function flatten(file: string, observation: unknown, keys: string[] | undefined): number[] {
  const out: number[] = [];
  if (keys) {
    for (const k of keys) {
      const v = dig(observation, k);
      if (v === undefined)
        throw new Error(
          `${file}: options.observation names "${k}", which the observation ${preview(observation)} does not have`,
        );
      push(file, v, k, out);
    }
  } else {
    push(file, observation, 'observation', out);
  }
  return out;
}

function dig(v: unknown, pathText: string): unknown {
  let cur = v;
  for (const part of pathText.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function push(file: string, v: unknown, where: string, out: number[]): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${file}: ${where} is ${v}; the model's input takes finite numbers`);
    out.push(v);
  } else if (typeof v === 'boolean') {
    out.push(v ? 1 : 0);
  } else if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const arr = v as ArrayLike<unknown>;
    for (let i = 0; i < arr.length; i++) push(file, arr[i], `${where}[${i}]`, out);
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) push(file, x, `${where}.${k}`, out);
  } else {
    throw new Error(
      `${file}: ${where} is ${v === null ? 'null' : typeof v}; the observation must hold numbers (or name them with options.observation)`,
    );
  }
}

function toAction(
  file: string,
  name: string,
  out: Ort.Tensor | undefined,
  actions: OnnxAgentOptions['actions'],
): unknown {
  if (!out) throw new Error(`${file}: the model produced no output "${name}"`);
  const data = out.data as ArrayLike<number | bigint>;
  const values = Array.from(data, Number);
  if (actions === 'continuous') return values;
  if (values.length === 0)
    throw new Error(`${file}: the model's output "${name}" is empty (shape [${out.dims.join(', ')}])`);
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  if (Array.isArray(actions)) {
    if (actions.length !== values.length) {
      throw new Error(
        `${file}: the model's output "${name}" has ${values.length} values (shape [${out.dims.join(', ')}]) but options.actions lists ${actions.length} actions`,
      );
    }
    return actions[best];
  }
  return best;
}

function preview(v: unknown): string {
  let s: string;
  try {
    s =
      JSON.stringify(v, (_k, x: unknown) =>
        ArrayBuffer.isView(x) ? Array.from(x as unknown as ArrayLike<number>) : x,
      ) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
