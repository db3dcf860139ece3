#!/usr/bin/env node
// npm start (the package's `hurdle` command): boot the default system and open the shell
// (tools/start/main.ts).
import { main } from '../tools/start/main.ts';

process.exitCode = await main(process.argv.slice(2));
