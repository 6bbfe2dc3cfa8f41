// `npm start`, `npm run token` and the other tools run this first: it compiles the TypeScript only
// when a source changed since the last build, so a warm start does not spend seconds loading the
// compiler to learn that nothing changed.
//
// Up to date means: dist/.build-stamp is newer than every .ts file, every directory (a file added,
// removed or renamed changes its directory's time) under src/ and migrations/, the tsconfig files
// and package-lock.json (another TypeScript). That is the same rule `tsc --build` applies. When
// stale, `tsc -p tsconfig.build.json` runs; it is incremental, so it recompiles only what changed.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const stamp = join(root, 'dist', '.build-stamp');

function newestInput() {
  let newest = 0;
  const note = (path) => (newest = Math.max(newest, statSync(path).mtimeMs));
  const walk = (dir) => {
    note(dir);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) note(path);
    }
  };
  walk(join(root, 'src'));
  walk(join(root, 'migrations'));
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json']) note(join(root, file));
  return newest;
}

function stampTime() {
  try {
    return statSync(stamp).mtimeMs;
  } catch {
    return -1;
  }
}

if (newestInput() >= stampTime()) {
  // Taken before compiling: a file saved while tsc runs makes the next start compile again.
  const started = new Date();
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  closeSync(openSync(stamp, 'w'));
  utimesSync(stamp, started, started);
}
