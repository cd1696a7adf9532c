#!/usr/bin/env node
/**
 * Entry point of the `locksfile` command (`bin` in package.json; also `node dist/cli.js`).
 * See `cli/main.ts`.
 *
 * @packageDocumentation
 */
import { main } from './cli/main';

void main(process.argv.slice(2)).then((status) => process.exit(status));
