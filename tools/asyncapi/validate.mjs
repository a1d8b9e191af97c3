// Validates AsyncAPI documents with the AsyncAPI Initiative's own parser, Avro payloads
// included: `node validate.mjs FILE…`. Prints each error and exits 1 if there is any.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";
import { AvroSchemaParser } from "@asyncapi/avro-schema-parser";

const parser = new Parser({ schemaParsers: [AvroSchemaParser()] });
const ERROR = 0; // DiagnosticSeverity.Error
let failed = false;
for (const file of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(await readFile(file, "utf8"), { source: file });
  const errors = diagnostics.filter((d) => d.severity === ERROR);
  for (const d of errors) console.error(`${file}: ${d.path.join(".")}: ${d.message}`);
  if (errors.length || !document) failed = true;
  else console.log(`${file}: valid AsyncAPI ${document.version()}, ${document.channels().length} channels, ${document.messages().length} messages`);
}
process.exit(failed ? 1 : 0);
