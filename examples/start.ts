// npm start: boot the default system and open the shell (tools/start/main.ts).
import { main } from '../tools/start/main.ts';

process.exitCode = await main(process.argv.slice(2));
