// The json translator: a JSON file as a directory tree. The mapping (objects and
// arrays as directories, leaves as files, key spelling), writes going back into the
// file with the leaf's type kept when the text parses as it, the file's layout kept,
// permissions from the file, changes underneath seen at the next lookup, invalid JSON
// (at start: no start; later: EIO), EISDIR / ENOTDIR / EROFS, fsysopts and goaway.

import { describe, expect, it } from 'vitest';
import { FSYS_GOAWAY, O } from '../../../protocol/fs.ts';
import { TranslatorRegistry, type TranslatorFactory } from '../../../servers/fs/translator.ts';
import { defaultRegistry, json, keyOfName, layoutOf, leafValue, nameOfKey, parseJsonArgs, serialize } from '../../../servers/translators/index.ts';
import { errorOf, type Client, type FsWorld } from '../fs/harness.ts';
import { controlOf, mountOn, namesIn, text, translatorTasks, translatorWorld } from './mount.ts';

const DOC = `{
  "name": "hurdle",
  "version": 3,
  "stable": false,
  "license": null,
  "tags": ["os", "hurd"],
  "deps": { "memfs": "^4" },
  "a/b": 1,
  "": "empty key",
  "..": "dots"
}
`;

async function mounted(content = DOC, argv: string[] = ['json'], mode = 0o644): Promise<{ w: FsWorld; c: Client; file: () => unknown }> {
  const w = await translatorWorld();
  const c = w.client('root');
  await mountOn(c, 'data.json', argv, { text: content, mode });
  return { w, c, file: () => JSON.parse(w.fs.volume.readFileSync('/data.json', 'utf8') as string) };
}

describe('json: the mapping', () => {
  it('objects and arrays are directories, other values files; keys spelt as names', async () => {
    const { c } = await mounted();
    expect(await namesIn(c, 'data.json')).toEqual(['name', 'version', 'stable', 'license', 'tags', 'deps', 'a%2Fb', '%', '%2E%2E']);
    const { entries } = await c.protid(await c.open('data.json')).readdir({ offset: 0, max: 0 });
    expect(entries.filter((e) => e.type === 'dir').map((e) => e.name)).toEqual(['tags', 'deps']);
    expect(await namesIn(c, 'data.json/tags')).toEqual(['0', '1']);
    expect(await c.readFile('data.json/name')).toBe('hurdle');
    expect(await c.readFile('data.json/version')).toBe('3');
    expect(await c.readFile('data.json/stable')).toBe('false');
    expect(await c.readFile('data.json/license')).toBe('null');
    expect(await c.readFile('data.json/tags/1')).toBe('hurd');
    expect(await c.readFile('data.json/deps/memfs')).toBe('^4');
    expect(await c.readFile('data.json/a%2Fb')).toBe('1');
    expect(await c.readFile('data.json/%')).toBe('empty key');
    expect(await c.readFile('data.json/%2E%2E')).toBe('dots');
    expect(errorOf(await c.tryOpen('data.json/tags/01'))).toBe('ENOENT');
    expect(errorOf(await c.tryOpen('data.json/tags/2'))).toBe('ENOENT');
    expect(errorOf(await c.tryOpen('data.json/constructor'))).toBe('ENOENT');
  });

  it('key spelling round-trips; only the canonical spelling finds a key', () => {
    for (const key of ['plain', 'a/b', '100%', '', '.', '..', 'x\0y', '%2F']) expect(keyOfName(nameOfKey(key)!)).toBe(key);
    expect(nameOfKey('100%')).toBe('100%25');
    expect(keyOfName('a%2Eb')).toBeNull();
    expect(keyOfName('50%')).toBeNull();
    expect(nameOfKey('k'.repeat(300))).toBeNull();
  });

  it('a document that is a single value is one file', async () => {
    const { c } = await mounted('42\n');
    expect(await c.readFile('data.json')).toBe('42');
    expect(errorOf(await c.tryOpen('data.json/x'))).toBe('ENOTDIR');
  });

  it('stat: leaves take the file\'s permission bits and owner, directories its read bits with search', async () => {
    const { c } = await mounted(DOC, ['json'], 0o640);
    expect((await c.protid(await c.open('data.json/name')).stat()).stat.mode).toBe(0o100640);
    expect((await c.protid(await c.open('data.json/tags')).stat()).stat.mode).toBe(0o040550);
    expect((await c.protid(await c.open('data.json/name')).stat()).stat.size).toBe(6);
  });
});

describe('json: writing back', () => {
  it('a number stays a number when the text is one (whitespace and newline ignored), else becomes a string', async () => {
    const { c, file } = await mounted();
    await c.writeFile('data.json/version', '4\n');
    expect(file()).toMatchObject({ version: 4 });
    expect(await c.readFile('data.json/version')).toBe('4');
    await c.writeFile('data.json/version', 'four');
    expect(file()).toMatchObject({ version: 'four' });
    expect(leafValue('number', ' -1.5e3 ')).toBe(-1500);
    expect(leafValue('number', '0x10')).toBe('0x10');
  });

  it('booleans and null keep their type for their words; strings take the text exactly', async () => {
    const { c, file } = await mounted();
    await c.writeFile('data.json/stable', 'true\n');
    await c.writeFile('data.json/license', 'null');
    await c.writeFile('data.json/name', 'renamed\n');
    await c.writeFile('data.json/tags/0', '42');
    expect(file()).toMatchObject({ stable: true, license: null, name: 'renamed\n', tags: ['42', 'hurd'] });
    await c.writeFile('data.json/license', 'MIT');
    expect(file()).toMatchObject({ license: 'MIT' });
  });

  it('the whole document is written back in the file\'s layout; other values untouched', async () => {
    const { w, c } = await mounted();
    await c.writeFile('data.json/deps/memfs', '^5');
    const after = w.fs.volume.readFileSync('/data.json', 'utf8') as string;
    expect(after).toBe(`${JSON.stringify({ ...JSON.parse(DOC), deps: { memfs: '^5' } }, null, 2)}\n`);
    const compact = await mounted('{"a":[1,2]}');
    await compact.c.writeFile('data.json/a/1', '3');
    expect(compact.w.fs.volume.readFileSync('/data.json', 'utf8')).toBe('{"a":[1,3]}');
    expect(layoutOf('{\n\t"x": 1\n}\n')).toEqual({ indent: '\t', finalNewline: true });
    expect(serialize({ x: [1] }, { indent: '', finalNewline: false })).toBe('{"x":[1]}');
  });

  it('partial writes, O_APPEND and truncate act on the leaf\'s text', async () => {
    const { c, file } = await mounted();
    const f = c.protid(await c.open('data.json/name', O.RDWR));
    await f.write({ data: Buffer.from('HU'), offset: 0 });
    expect(file()).toMatchObject({ name: 'HUrdle' });
    await f.truncate({ size: 4 });
    expect(file()).toMatchObject({ name: 'HUrd' });
    const app = c.protid(await c.open('data.json/name', O.WRONLY | O.APPEND));
    await app.write({ data: Buffer.from('!') });
    expect(await c.readFile('data.json/name')).toBe('HUrd!');
    expect(text((await f.read({ amount: 10, offset: 0 })).data)).toBe('HUrd!');
  });

  it('the shape is fixed: O_CREAT answers EROFS, mkdir and unlink EOPNOTSUPP', async () => {
    const { c } = await mounted();
    expect(errorOf(await c.tryOpen('data.json/newkey', O.WRONLY | O.CREAT))).toBe('EROFS');
    const top = c.protid(await c.open('data.json'));
    expect(errorOf(await top.attempt.mkdir({ name: 'd', mode: 0o755 }))).toBe('EOPNOTSUPP');
    expect(errorOf(await top.attempt.unlink({ name: 'name' }))).toBe('EOPNOTSUPP');
  });

  it('EISDIR for a directory, ENOTDIR below a leaf, ENOENT for a missing key', async () => {
    const { c } = await mounted();
    expect(errorOf(await c.tryOpen('data.json/tags', O.WRONLY))).toBe('EISDIR');
    expect(errorOf(await c.protid(await c.open('data.json/deps')).attempt.read({ amount: 1 }))).toBe('EISDIR');
    expect(errorOf(await c.tryOpen('data.json/name/x'))).toBe('ENOTDIR');
    expect(errorOf(await c.tryOpen('data.json/nope'))).toBe('ENOENT');
  });

  it('read-only when the file cannot be written back, or with --readonly: EROFS for root, no write bits', async () => {
    const { c } = await mounted(DOC, ['json', '--readonly']);
    expect(errorOf(await c.tryOpen('data.json/name', O.WRONLY))).toBe('EROFS');
    expect((await c.protid(await c.open('data.json/name')).stat()).stat.mode).toBe(0o100444);
    // Alice's file, but she cannot write it: the translator (running as her) cannot either.
    const w = await translatorWorld();
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    await mountOn(alice, 'ro.json', ['json'], { text: '{"k": 1}', mode: 0o444 });
    expect(await alice.readFile('ro.json/k')).toBe('1');
    expect(errorOf(await alice.tryOpen('ro.json/k', O.WRONLY))).toBe('EACCES');
    expect(errorOf(await w.client('root').tryOpen('ro.json/k', O.WRONLY))).toBe('EROFS');
  });

  it('permissions follow the file: bob cannot read the leaves of alice\'s 0600 file', async () => {
    const w = await translatorWorld();
    const alice = w.client('alice', { uid: 1000, gid: 100 });
    await mountOn(alice, 'mine.json', ['json'], { text: '{"secret": "s3cret"}', mode: 0o600 });
    expect(await alice.readFile('mine.json/secret')).toBe('s3cret');
    const bob = w.client('bob', { uid: 1001, gid: 100 });
    expect(errorOf(await bob.tryOpen('mine.json/secret'))).toBe('EACCES');
  });
});

describe('json: the file underneath', () => {
  it('changes made to the file underneath show at the next lookup; a leaf gone answers ENOENT', async () => {
    const { c } = await mounted('{"a": 1, "b": 2}');
    const b = c.protid(await c.open('data.json/b'));
    const raw = await c.open('data.json', O.WRONLY | O.TRUNC | O.NOTRANS);
    await c.protid(raw).write({ data: Buffer.from('{"a": 10, "c": 3}') });
    expect(await c.readFile('data.json/a')).toBe('10');
    expect(await namesIn(c, 'data.json')).toEqual(['a', 'c']);
    expect(errorOf(await b.attempt.read({ amount: 10 }))).toBe('ENOENT');
  });

  it('invalid JSON at start: the start fails with a clear message and the lookup answers EIO', async () => {
    let failure: unknown = null;
    const spy: TranslatorFactory = async (env) => {
      try {
        return await json(env);
      } catch (e) {
        failure = e;
        throw e;
      }
    };
    const w = await translatorWorld(defaultRegistry().register('spy', spy));
    const c = w.client('root');
    await mountOn(c, 'bad.json', ['spy'], { text: '{"a": 1,' });
    expect(errorOf(await c.tryOpen('bad.json'))).toBe('EIO');
    expect(errorOf(await c.tryOpen('bad.json/a'))).toBe('EIO');
    expect(String(failure)).toMatch(/^TypeError: json: the node is not valid JSON: /);
    expect(translatorTasks(w)).toHaveLength(0);
  });

  it('a file made invalid later: getroot answers EIO until it is valid again', async () => {
    const { c } = await mounted('{"a": 1}');
    expect(await c.readFile('data.json/a')).toBe('1');
    const raw = c.protid(await c.open('data.json', O.RDWR | O.NOTRANS));
    await raw.write({ data: Buffer.from('{"a": '), offset: 0 });
    await raw.truncate({ size: 6 });
    expect(errorOf(await c.tryOpen('data.json'))).toBe('EIO');
    await raw.write({ data: Buffer.from('{"a": 2}'), offset: 0 });
    expect(await c.readFile('data.json/a')).toBe('2');
  });

  it('bad arguments, a directory node: the start fails (EIO)', async () => {
    expect(parseJsonArgs(['--indent=4', '--readonly'])).toEqual({ indent: '    ', readonly: true });
    expect(parseJsonArgs(['--indent=99'])).toMatch(/^bad argument "--indent=99"/);
    expect(parseJsonArgs(['data.json'])).toMatch(/^bad argument/);
    const w = await translatorWorld(new TranslatorRegistry([['json', json]]));
    const c = w.client('root');
    await mountOn(c, 'x.json', ['json', '--frobnicate'], { text: '{}' });
    expect(errorOf(await c.tryOpen('x.json'))).toBe('EIO');
    await mountOn(c, 'dir.json', ['json'], { dir: true });
    expect(errorOf(await c.tryOpen('dir.json'))).toBe('EIO');
    expect(translatorTasks(w)).toHaveLength(0);
  });
});

describe('json: control', () => {
  it('fsysopts: --compact changes how the file is written back; --readonly stops writes', async () => {
    const { w, c } = await mounted('{\n  "a": 1\n}\n');
    const ctl = await controlOf(c, 'data.json');
    expect((await ctl.getOptions()).options).toEqual([]);
    await ctl.setOptions({ options: ['--compact'] });
    await c.writeFile('data.json/a', '2');
    expect(w.fs.volume.readFileSync('/data.json', 'utf8')).toBe('{"a":2}\n');
    await ctl.setOptions({ options: ['--readonly'] });
    expect((await ctl.getOptions()).options).toEqual(['--compact', '--readonly']);
    expect(errorOf(await c.tryOpen('data.json/a', O.WRONLY))).toBe('EROFS');
    expect(errorOf(await ctl.attempt.setOptions({ options: ['--pretty'] }))).toBe('EINVAL');
  });

  it('goaway: EBUSY while a leaf is open; FORCE ends it; the file keeps what was written', async () => {
    const { w, c, file } = await mounted();
    await c.writeFile('data.json/version', '5');
    const held = await c.open('data.json/name');
    const ctl = await controlOf(c, 'data.json');
    expect(errorOf(await ctl.attempt.goaway({ flags: 0 }))).toBe('EBUSY');
    await ctl.goaway({ flags: FSYS_GOAWAY.FORCE });
    await w.settle();
    expect(translatorTasks(w, 'json')).toHaveLength(0);
    expect(errorOf(await c.protid(held).attempt.read({ amount: 1 }))).not.toBe('ok');
    expect(file()).toMatchObject({ version: 5 });
    expect(await c.readFile('data.json/version')).toBe('5');
  });
});
