// Prints, as a JSON array, the files `clawhub skill publish <folder>` would upload: ClawHub's own
// file selection (.gitignore, .clawhubignore, dot paths, size limits), from the clawhub CLI package.
import { prepareSkillFilesForPublish } from "clawhub/dist/cli/commands/publish.js";

const files = await prepareSkillFilesForPublish(process.argv[2]);
console.log(JSON.stringify(files.map((file) => file.relPath).sort()));
