import { readFileSync } from 'node:fs';
import { buildAppSchema } from '../../src/schema/build-schema';
import { SCHEMA_FILE, printAppSchema } from '../../src/schema/emit';

describe('the committed schema', () => {
  it('matches the schema the resolvers build', async () => {
    const built = printAppSchema(await buildAppSchema());
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    if (built !== committed) {
      // A plain toBe would print two huge strings; say what to do first, then the first difference.
      const builtLines = built.split('\n');
      const committedLines = committed.split('\n');
      const line = builtLines.findIndex((text, index) => text !== committedLines[index]);
      throw new Error(
        `src/schema/schema.graphql is out of date: run \`npm run schema:emit\` and commit the result.\n` +
          `First difference at line ${line + 1}:\n  committed: ${committedLines[line] ?? '(end of file)'}\n  built:     ${builtLines[line] ?? '(end of file)'}`,
      );
    }
    expect(built).toBe(committed);
  });
});
