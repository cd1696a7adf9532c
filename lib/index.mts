/**
 * ES module entry: the same objects as the CommonJS build (one copy of the library, so
 * `instanceof` checks work across `import` and `require`).
 *
 * @packageDocumentation
 */
export * from './index.js';
