/**
 * Every workload, in run order.
 *
 * @packageDocumentation
 */
import type { Workload } from '../harness/types';
import { counter } from './counter';
import { eventLoop } from './event-loop';
import { fairnessWorkload } from './fairness';
import { handoverWorkload } from './handover';
import { raceWorkload } from './race';
import { readersWorkload } from './readers';
import { manyLocksWorkload } from './many-locks';
import { manyWaitersWorkload } from './many-waiters';
import { perUseWorkload } from './per-use';
import { recoveryWorkload } from './recovery';
import { scaleWorkload } from './scale';
import { sporadicWorkload } from './sporadic';
import { threadsWorkload } from './threads';
import { uncontended } from './uncontended';
import { wideWriterWorkload } from './wide-writer';

/** All workloads. */
export const WORKLOADS: readonly Workload[] = [
  uncontended,
  counter,
  fairnessWorkload,
  wideWriterWorkload,
  sporadicWorkload,
  threadsWorkload,
  manyWaitersWorkload,
  manyLocksWorkload,
  perUseWorkload,
  recoveryWorkload,
  raceWorkload,
  handoverWorkload,
  readersWorkload,
  scaleWorkload,
  eventLoop,
];
