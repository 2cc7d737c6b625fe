// Parse an AsyncAPI document with the official parser, which also applies Spectral's AsyncAPI
// ruleset. Prints every diagnostic as JSON lines; exits 1 on any error or warning.
//   node validate.mjs docs/asyncapi.yaml
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const file = process.argv[2];
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"), { source: file });
const severities = ["error", "warning", "info", "hint"];
let bad = 0;
for (const d of diagnostics) {
  const severity = severities[d.severity] ?? String(d.severity);
  if (d.severity <= 1) bad += 1;
  console.log(JSON.stringify({ severity, code: d.code, message: d.message, path: d.path.join(".") }));
}
console.log(JSON.stringify({ parsed: document !== undefined, problems: bad }));
process.exit(document !== undefined && bad === 0 ? 0 : 1);
