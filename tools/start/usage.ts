// The start command's usage line, named as the user ran it: `hurdle` for the package's
// installed bin, `npm start --` from the repository's npm script (npm passes options to
// the script only after `--`).

const OPTIONS =
  '[-c "commands"] [--user] [--isolate] [--demo] [--view] [--nats URL --node NAME [--nats-user U] [--nats-pass P] [--remote NODE]] [--help]';

/**
 * The usage line for a start command whose script is `script` (process.argv[1]) and
 * whose environment is `env`: `usage: hurdle ...` when it is the installed bin (a script
 * named `hurdle`, or the package's dist/examples/start.js), `usage: npm start -- ...` when
 * npm runs it for the `start` script, and `usage: hurdle ...` otherwise.
 */
export function startUsage(script: string | undefined, env: { readonly npm_lifecycle_event?: string | undefined }): string {
  const path = (script ?? '').replace(/\\/g, '/');
  const base = path.slice(path.lastIndexOf('/') + 1);
  const bin = base === 'hurdle' || base === 'hurdle.cmd' || path.endsWith('dist/examples/start.js');
  const name = !bin && env.npm_lifecycle_event === 'start' ? 'npm start --' : 'hurdle';
  return `usage: ${name} ${OPTIONS}`;
}
