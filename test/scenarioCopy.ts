// Tests copy exactly the files a scenario uses — the scenario file and the modules it names, plus
// files those modules import, named by the test — into a folder of their own. Never a whole folder:
// running the product by hand leaves calibrations beside scenarios and .objective-monitor/ folders,
// and a test that picked them up would pass or fail by what someone ran before (a calibration left by
// a UI run made `run` skip its calibration and two CLI tests fail).
import fs from 'node:fs';
import path from 'node:path';
import { resolveModulePath } from '../src/engine/paths';

interface Ref {
  module?: string;
  onnx?: string;
}
interface ScenarioRefs {
  environment?: Ref;
  agent?: Ref;
  agents?: Record<string, Ref>;
  objective?: Ref;
}

/** The files `scenarioFile` uses, relative to its folder: itself, then each module and ONNX model it names. */
export function scenarioFiles(scenarioFile: string): string[] {
  const dir = path.dirname(scenarioFile);
  const spec = JSON.parse(fs.readFileSync(scenarioFile, 'utf8')) as ScenarioRefs;
  const refs = [spec.environment, spec.agent, spec.objective, ...Object.values(spec.agents ?? {})];
  const modules = refs
    .filter((r): r is Ref & { module: string } => typeof r?.module === 'string')
    .map((r) => path.relative(dir, resolveModulePath(dir, r.module)));
  const models = refs
    .filter((r): r is Ref & { onnx: string } => typeof r?.onnx === 'string')
    .map((r) => path.relative(dir, path.resolve(dir, r.onnx)));
  return [...new Set([path.basename(scenarioFile), ...modules, ...models])];
}

/** Copies the scenario's files (and `also`, paths relative to its folder) into `toDir`, keeping their
 *  relative places; returns the copy's scenario file. */
export function copyScenario(scenarioFile: string, toDir: string, also: string[] = []): string {
  const dir = path.dirname(scenarioFile);
  const files = [...scenarioFiles(scenarioFile), ...also];
  // All or nothing: check every path before copying any.
  for (const rel of files) {
    if (rel.startsWith('..') || path.isAbsolute(rel))
      throw new Error(`${scenarioFile}: ${rel} is outside the scenario's folder; copy it on its own`);
  }
  for (const rel of files) {
    fs.mkdirSync(path.dirname(path.join(toDir, rel)), { recursive: true });
    fs.copyFileSync(path.join(dir, rel), path.join(toDir, rel));
  }
  return path.join(toDir, path.basename(scenarioFile));
}
