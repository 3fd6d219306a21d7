import { runCli } from './cli/program.js';

// `switchyard`: every command is in src/cli/program.ts (server processes) and src/cli/client-commands.ts (clients).
runCli(process.argv.slice(2));
