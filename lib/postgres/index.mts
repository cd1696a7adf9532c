/**
 * ES module entry of `locksfile/postgres`: the same objects as the CommonJS build (one copy,
 * so `instanceof` checks work across `import` and `require`).
 *
 * @packageDocumentation
 */
export * from './index.js';
