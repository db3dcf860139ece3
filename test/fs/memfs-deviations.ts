// Where memfs 4.80 (used directly) behaves differently from Node's fs.promises on Linux,
// found by the conformance suite and checked against Node (test/fs/node.test.ts). Each
// case still runs on memfs, expected to fail; a case that starts passing fails the run,
// so this list cannot go stale.

export const MEMFS_DEVIATIONS: Readonly<Record<string, string>> = {
  'writeFile: writes Buffers, Uint8Arrays, DataViews and encoded strings':
    'a DataView is written as the string "[object DataView]"',
  'writeFile: rejects data of the wrong type (a number, an object)': 'writes String(data) instead of ERR_INVALID_ARG_TYPE',
  "open: EISDIR opening a directory for writing; 'r' on a directory opens, read gives EISDIR":
    'reading a directory opened with r answers 0 bytes instead of EISDIR',
  'FileHandle: EBADF writing to a read-only handle and reading a write-only one': 'ignores the open mode: writes to an r handle, reads an a handle',
  'FileHandle: truncate through the handle; on a read-only handle: EINVAL (ftruncate)': 'truncates through a read-only handle',
  'FileHandle: after close: fd is -1, calls reject with EBADF "file closed", close again is fine':
    'stat after close answers "EBADF: bad file descriptor, fstat" instead of "file closed"',
  "stat: a symlink's size is the length of its target": 'lstat of a symlink reports size 0',
  'stat: lstat with a trailing slash follows the symlink': 'lstat("link/") does not follow the link',
  "stat: ENOTDIR for 'file/', 'file/.' and 'file/x'; 'dir/' is fine":
    'paths are normalised before the walk: "file/" and "file/." name the file, "file/.." its directory',
  'access: ENOTDIR for a trailing slash on a file': 'trailing slashes are dropped before the walk',
  'access: a mode out of 0..7 is ERR_OUT_OF_RANGE': 'accepts any mode',
  'chown: to our own ids, and -1 for unchanged': 'stores -1 as the uid and gid instead of leaving them unchanged',
  'chown: ids out of range are ERR_OUT_OF_RANGE': 'accepts uid -2',
  'utimes: a time that is not a number, Date or numeric string is ERR_INVALID_ARG_TYPE':
    'throws a plain Error "Cannot parse time" without a code',
  'mkdir: with a mode (number, octal string, option)': 'an octal string mode ("750") is ignored (0777 is used)',
  'mkdir: ENOENT when the parent is missing (also "new/."), ENOTDIR under a file':
    'the error names the missing parent ("/work/no"), not the path given; "new/." makes "new"',
  'mkdir: ENAMETOOLONG for a name over 255 bytes': 'no NAME_MAX: a 256-byte name is created',
  'mkdir: recursive: creates the chain and answers the first directory made': 'answers the last directory made, not the first',
  'mkdir: recursive: ENOTDIR through a file, EEXIST when the last is a file':
    'makes directories under a file ("f/x/y") and accepts an existing file as the last component',
  'mkdir: recursive with ".." components': '"a/../b/c" is normalised to "b/c": "a" is never made',
  'rmdir: EINVAL for "e/."': '"e/." is normalised to "e", which is removed',
  'rmdir: EBUSY for the root': 'rmdir("/") answers ENOTEMPTY',
  'unlink: EISDIR for a directory, "e/.", "e/.." and the root': 'unlinking a directory answers EPERM (the macOS answer), not EISDIR',
  'unlink: ENOTDIR for a trailing slash on a file or on a symlink to a directory': 'the trailing slash is dropped and the file removed',
  'rename: renames a symlink itself': 'renaming a symlink makes a copy of its target under the new name and leaves the link',
  'rename: ENOTDIR directory onto a file; EISDIR file onto a directory': 'replaces a file by a directory and a directory by a file',
  'rename: ENOTEMPTY onto a directory with entries': 'replaces a non-empty directory',
  'rename: EINVAL moving a directory into itself': 'moves a directory into its own subdirectory',
  'rename: ENOTDIR for a trailing slash on a file, either side': 'trailing slashes are dropped',
  'rename: EBUSY for ".", ".." and the root': '"." and ".." are normalised away and the rename proceeds',
  'rm: a symlink to a directory: removes the link only': 'follows the link and answers ERR_FS_EISDIR',
  'rm: ENOTDIR for a trailing slash on a file (lstat)': 'the trailing slash is dropped and the file removed',
  'rm: bad options are argument errors': 'does not check option types',
  'truncate: rejects a non-integer length': 'accepts a fractional length',
  'symlink: ENOENT for a missing directory and for a trailing slash on a new name': 'the trailing slash is dropped and the link made',
  'readlink: a trailing slash follows the link: EINVAL': 'the trailing slash is dropped and the link read',
  'link: EPERM for a directory': 'hard-links a directory',
  'realpath: ".." after a symlink goes to the physical parent': '".." is resolved by name before symlinks (lexically), not on the physical path',
  'realpath: ENOENT for a missing name, ENOTDIR for "file/" (realpath)': 'realpath("file/") answers the file',
  'mkdtemp: ENOENT when the prefix names a missing directory': 'the error is named mkdir, not mkdtemp',
  'paths: ".." through a missing directory: ENOENT': '"none/../b" is normalised to "b" before the walk',
  'paths: a name of 255 bytes works; 256 bytes is ENAMETOOLONG': 'no NAME_MAX',
  'paths: a path of 4096 bytes or more is ENAMETOOLONG': 'no PATH_MAX: a long path is walked (ENOENT)',
  'paths: an empty path is ENOENT, with an empty path in the error': 'the ENOENT error for "" names no path',
  'arguments: a path of the wrong type (number, undefined, object): ERR_INVALID_ARG_TYPE, never a throw':
    'readFile and writeFile take a number as a file descriptor (EBADF) instead of rejecting it',
  'node:fs: a path of the wrong type is thrown at once, not given to the callback': 'the argument error is given to the callback',
  'opendir: after close: read throws ERR_DIR_CLOSED, close rejects with it': 'read() on a closed Dir does not throw',
  'FileHandle streams: createWriteStream writes through the handle; readLines reads lines': 'FileHandle has no readLines',
  'instanceof: Stats are fs.Stats, Dirents are fs.Dirent; BigIntStats are not fs.Stats': "memfs's Stats and Dirent are its own classes, not Node's",
  'AbortSignal: an aborted signal: readFile and writeFile reject with AbortError': 'ignores options.signal: the calls run and succeed',
};
