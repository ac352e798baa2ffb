// The public module API: what users write. Gymnasium-shaped on purpose, so RL developers feel at home.
// Every module's default export is a factory `(options) => instance`; the runner makes a fresh
// instance per episode. Methods may return a value or a Promise of it (LLM agents are async).

import type { Scene } from './scene';

/** JavaScript/TypeScript module files, which the JavaScript runner loads; tried in this order for
 *  a module path given without an extension. */
export const JS_MODULE_EXTENSIONS: readonly string[] = ['.ts', '.mts', '.js', '.mjs', '.cjs'];
/** Every module file a scenario may name (`.py` runs in the Python runner). */
export const MODULE_EXTENSIONS: readonly string[] = [...JS_MODULE_EXTENSIONS, '.py'];

export type Info = Record<string, unknown>;
export type MaybePromise<T> = T | Promise<T>;

export interface ResetResult<O> {
  observation: O;
  info?: Info;
}

export interface StepResult<O> {
  observation: O;
  /** The environment's reward; the increment when the scenario names no objective. */
  reward?: number;
  terminated: boolean;
  truncated?: boolean;
  info?: Info;
}

export interface Environment<O = unknown, A = unknown> {
  reset(seed: number): MaybePromise<ResetResult<O>>;
  step(action: A): MaybePromise<StepResult<O>>;
  /** A declarative scene for the replay panel (shapes, grid, text — never HTML). */
  render?(): Scene;
  /** A deep copy of the current state; used by the predictive guard and by a blame's fork snapshots. */
  clone?(): Environment<O, A>;
}

export interface Agent<O = unknown, A = unknown> {
  act(observation: O, info?: Info): MaybePromise<A>;
  reset?(seed: number): void;
}

export interface Transition<O = unknown, A = unknown> {
  /** 0-based index of the step this transition is. */
  step: number;
  observation: O;
  action: A;
  reward: number;
  nextObservation: O;
  info: Info;
  terminated: boolean;
  truncated: boolean;
}

export interface Objective<O = unknown, A = unknown> {
  /** u_t: this step's utility increment of the base objective. Must be a finite number. */
  increment(transition: Transition<O, A>): MaybePromise<number>;
  reset?(): void;
  /** An independent copy of its state (an objective that keeps none may return a fresh instance);
   *  used by the predictive guard and by a blame's fork snapshots, which need it. */
  clone?(): Objective<O, A>;
}

export type Factory<T> = (options: Record<string, unknown>) => T;
