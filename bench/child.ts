/**
 * Entry point of a Node worker process: `node child.js '<WorkerConfig JSON>'`. Dispatches to
 * the role named in the configuration; any failure is reported as an `error` message and exit
 * code 1, so the runner can mark the case FAILED.
 *
 * @packageDocumentation
 */
import type { WorkerConfig } from './harness/protocol';
import { counterRole } from './roles/counter';
import { handoverRole } from './roles/handover';
import { send } from './roles/io';
import { manyLocksRole } from './roles/many-locks';
import { manyWaitersRole } from './roles/many-waiters';
import { raceRole } from './roles/race';
import { readersRole } from './roles/readers';
import { scaleRole } from './roles/scale';
import { sporadicRole } from './roles/sporadic';
import { threadsRole } from './roles/threads';
import { uncontendedRole } from './roles/uncontended';
import { wideWriterRole } from './roles/wide-writer';

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined) throw new Error('usage: node child.js <config JSON>');
  const cfg = JSON.parse(arg) as WorkerConfig;
  switch (cfg.role) {
    case 'uncontended':
      return uncontendedRole(cfg);
    case 'counter':
      return counterRole(cfg);
    case 'race':
      return raceRole(cfg);
    case 'handover':
      return handoverRole(cfg);
    case 'readers':
      return readersRole(cfg);
    case 'scale':
      return scaleRole(cfg);
    case 'wide-writer':
      return wideWriterRole(cfg);
    case 'sporadic':
      return sporadicRole(cfg);
    case 'many-waiters':
      return manyWaitersRole(cfg);
    case 'threads':
      return threadsRole(cfg);
    case 'many-locks':
      return manyLocksRole(cfg);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    send('error', { message: e instanceof Error ? (e.stack ?? e.message).split('\n').slice(0, 3).join(' | ') : String(e) });
    process.exit(1);
  },
);
