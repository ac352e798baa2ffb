// Makes a fresh instance of a user module for one episode and checks it has the methods its role needs.
import { factoryOf, LoadError, loadModuleExports } from './loadModule';
import { isOnnxFile, onnxAgent } from './onnxAgent';
import { toUserError } from './userError';

const IS_CLASS = /^class[\s{]/;

export function instantiate<T>(
  spec: string,
  options: Record<string, unknown>,
  role: string,
  methods: string[],
): { file: string; instance: T } {
  if (isOnnxFile(spec)) {
    if (role !== 'agent')
      throw new LoadError({
        message: `${spec}: an ONNX model can only be the agent, not the ${role}`,
        file: spec,
        phase: 'load',
      });
    return { file: spec, instance: onnxAgent(spec, options) as T };
  }
  const { file, exports } = loadModuleExports(spec);
  const factory = factoryOf(file, exports, role);
  let instance: unknown;
  try {
    // A default-exported class is accepted too: users coming from Gymnasium write classes.
    instance = IS_CLASS.test(Function.prototype.toString.call(factory))
      ? new (factory as unknown as new (o: Record<string, unknown>) => unknown)(options)
      : factory(options);
  } catch (e) {
    throw new LoadError({
      ...toUserError(e, 'load'),
      message: `${role} factory threw: ${toUserError(e, 'load').message}`,
    });
  }
  if (instance === null || typeof instance !== 'object') {
    throw new LoadError({
      message: `${file}: the ${role} factory returned ${instance === null ? 'null' : typeof instance}; expected an object with ${methods.join('(), ')}()`,
      file,
      phase: 'load',
    });
  }
  for (const m of methods) {
    if (typeof (instance as Record<string, unknown>)[m] !== 'function') {
      throw new LoadError({ message: `${file}: the ${role} has no ${m}() method`, file, phase: 'load' });
    }
  }
  return { file, instance: instance as T };
}
