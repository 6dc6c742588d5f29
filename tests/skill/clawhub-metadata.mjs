// Reads a SKILL.md's frontmatter the way the ClawHub registry does (YAML; the metadata block under
// `openclaw`) and checks it against the clawhub package's own schema (ClawdisSkillMetadataSchema:
// installer kinds brew|node|go|uv only). Prints {name, description, metadata} as JSON, or the
// schema's complaint on stderr with exit 1.
import { readFileSync } from "node:fs";
import { type } from "arktype";
import { parse } from "yaml";
import { ClawdisSkillMetadataSchema } from "clawhub/dist/schema/schemas.js";

const text = readFileSync(process.argv[2], "utf8");
const match = /^---\n([\s\S]*?)\n---/.exec(text);
if (!match) {
  console.error("no frontmatter");
  process.exit(1);
}
const frontmatter = parse(match[1]);
const metadata = ClawdisSkillMetadataSchema(frontmatter.metadata?.openclaw);
if (metadata instanceof type.errors) {
  console.error(metadata.summary);
  process.exit(1);
}
console.log(JSON.stringify({ name: frontmatter.name, description: frontmatter.description, homepage: frontmatter.homepage, metadata }));
