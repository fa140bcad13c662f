import { readFile } from 'node:fs/promises';
import { printVigilSchema } from './build-schema';
import { SCHEMA_FILE } from './emit-schema.main';

describe('committed schema.graphql', () => {
  it('matches the schema the code builds (run `npm run schema:emit` after changing the API)', async () => {
    const committed = await readFile(SCHEMA_FILE, 'utf8');
    expect(await printVigilSchema()).toEqual(committed);
  });
});
