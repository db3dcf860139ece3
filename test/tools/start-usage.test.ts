// The start command's usage line names the command as it was run: the installed `hurdle`
// bin (by its name or the package's dist path, even under an npm script of a consumer),
// `npm start --` when npm runs the repository's start script, and `hurdle` otherwise.

import { describe, expect, it } from 'vitest';
import { startUsage } from '../../tools/start/usage.ts';

describe('startUsage', () => {
  it('the installed bin: hurdle', () => {
    expect(startUsage('/home/u/app/node_modules/.bin/hurdle', {})).toMatch(/^usage: hurdle \[-c "commands"\] .*\[--help\]$/);
    expect(startUsage('/home/u/app/node_modules/hurdle/dist/examples/start.js', {})).toMatch(/^usage: hurdle \[/);
    expect(startUsage('C:\\app\\node_modules\\hurdle\\dist\\examples\\start.js', {})).toMatch(/^usage: hurdle \[/);
    // A consumer's own "start" script running the bin is still the bin.
    expect(startUsage('/home/u/app/node_modules/.bin/hurdle', { npm_lifecycle_event: 'start' })).toMatch(/^usage: hurdle \[/);
  });

  it("the repository's npm script: npm start --", () => {
    expect(startUsage('/work/hurdle/examples/start.ts', { npm_lifecycle_event: 'start' })).toMatch(/^usage: npm start -- \[-c "commands"\] /);
  });

  it('anything else (another npm script, no script): hurdle', () => {
    expect(startUsage('/work/hurdle/examples/start.ts', { npm_lifecycle_event: 'test' })).toMatch(/^usage: hurdle \[/);
    expect(startUsage('/work/hurdle/examples/start.ts', {})).toMatch(/^usage: hurdle \[/);
    expect(startUsage(undefined, {})).toMatch(/^usage: hurdle \[/);
  });
});
