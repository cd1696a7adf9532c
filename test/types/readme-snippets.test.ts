/**
 * Every TypeScript block of README.md (```ts) compiles against the built declarations
 * (`dist/`, through the package's own `exports`, as a user's ES module would import it).
 * Each block becomes one `.mts` module under test/.build; the names a snippet leaves to the
 * reader (`migrate()`, `run()`...) are declared below. A README example that no longer
 * matches the API fails this test with the README line of the error.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { ROOT } from '../helpers/paths';

/** The application functions the README's snippets call without defining them. */
const READER_NAMES = `
declare function updateShard(shard: number): Promise<number>;
declare function migrate(): Promise<void>;
declare function readConfig(): Promise<unknown>;
declare function run(): Promise<string>;
declare function recover(): Promise<void>;
declare function bump(): void;
`;

interface Snippet {
  /** README line of the block's first code line (1-based). */
  readonly line: number;
  readonly code: string;
}

function snippets(markdown: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```ts') continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end]?.trim() !== '```') end++;
    out.push({ line: start + 1, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

test('every ```ts block of README.md type-checks against dist/', () => {
  const blocks = snippets(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  expect(blocks.length).toBeGreaterThanOrEqual(3);

  fs.mkdirSync(path.join(ROOT, 'test', '.build'), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, 'test', '.build', 'readme-'));
  try {
    const files = blocks.map((block, n) => {
      const file = path.join(dir, `snippet-${n}.mts`);
      fs.writeFileSync(file, block.code);
      return { file, block };
    });
    const globals = path.join(dir, 'reader-names.d.ts');
    fs.writeFileSync(globals, READER_NAMES);

    const config = ts.getParsedCommandLineOfConfigFile(
      path.join(ROOT, 'tsconfig.json'),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    );
    if (config === undefined) throw new Error('tsconfig.json could not be read');
    const options: ts.CompilerOptions = {
      ...config.options,
      noEmit: true,
      declaration: false,
      noUnusedLocals: false,
      noUnusedParameters: false,
      rootDir: undefined,
      outDir: undefined,
    };
    const program = ts.createProgram([globals, ...files.map((f) => f.file)], options);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const origin = files.find((f) => f.file === d.file?.fileName);
      if (origin === undefined || d.file === undefined || d.start === undefined) return text;
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      return `README.md:${origin.block.line + line}: ${text}`;
    });
    expect(problems).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
