#!/usr/bin/env node
// Registers tsx in-process (no child process, so signals reach the CLI directly) and runs the TypeScript CLI.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
