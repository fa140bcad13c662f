import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../config/project-root';
import { printVigilSchema } from './build-schema';

export const SCHEMA_FILE = path.join(projectRoot(), 'src', 'schema', 'schema.graphql');

if (require.main === module) {
  printVigilSchema()
    .then((sdl) => writeFile(SCHEMA_FILE, sdl))
    .then(() => console.error(`wrote ${SCHEMA_FILE}`))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
