import { writeFileSync } from 'node:fs';
import { buildAppSchema } from './build-schema';
import { SCHEMA_FILE, printAppSchema } from './emit';

void buildAppSchema().then((schema) => {
  writeFileSync(SCHEMA_FILE, printAppSchema(schema));
  console.log(`wrote ${SCHEMA_FILE}`);
});
