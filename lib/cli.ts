#!/usr/bin/env node
/**
 * Entry point of the `locksfile` command (`bin` in package.json; also `node dist/cli.js`).
 * See `cli/main.ts`.
 *
 * @packageDocumentation
 */
import { EX } from './cli/exit-codes';
import { main } from './cli/main';

// Should the event loop ever drain before main() settles (nothing left to wake a wait), the
// process must not end with status 0 as if the command had run: that is a bug (70).
process.once('beforeExit', () => {
  process.stderr.write('locksfile: internal error: nothing left to wait for, but no outcome\n');
  process.exit(EX.SOFTWARE);
});
void main(process.argv.slice(2)).then((status) => process.exit(status));
