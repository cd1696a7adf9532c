/**
 * Every workload, in run order.
 *
 * @packageDocumentation
 */
import type { Workload } from '../harness/types';
import { counter } from './counter';
import { eventLoop } from './event-loop';
import { handoverWorkload } from './handover';
import { raceWorkload } from './race';
import { readersWorkload } from './readers';
import { scaleWorkload } from './scale';
import { uncontended } from './uncontended';

/** All workloads. */
export const WORKLOADS: readonly Workload[] = [uncontended, counter, raceWorkload, handoverWorkload, readersWorkload, scaleWorkload, eventLoop];
