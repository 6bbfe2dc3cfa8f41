import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.cwd();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * The architecture as the code has it. A diff in the module graph is reviewed like the permission
 * snapshot beside it: a new arrow between capabilities is a design decision, not an accident.
 */
describe('boundaries', () => {
  it('matches the reviewed graph of folders (who uses whom)', () => {
    const json = execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'),
        'src',
        '--config',
        '.dependency-cruiser.cjs',
        '--collapse',
        '^src/[^/]+',
        '-T',
        'json',
      ],
      { cwd: root, maxBuffer: 64 * 1024 * 1024 },
    ).toString();
    const modules = (JSON.parse(json) as { modules: { source: string; dependencies: { resolved: string }[] }[] })
      .modules;
    const edges = modules
      .filter((m) => m.source.startsWith('src/'))
      .flatMap((m) =>
        m.dependencies
          .filter((d) => d.resolved.startsWith('src/') && d.resolved !== m.source)
          .map((d) => `${m.source} -> ${d.resolved}`),
      );
    expect([...new Set(edges)].sort().join('\n')).toMatchSnapshot();
    // No folder depends on itself through others: the layers (kernel below capabilities) hold.
    const next = new Map<string, Set<string>>();
    for (const edge of edges) {
      const [from, to] = edge.split(' -> ');
      next.set(from, (next.get(from) ?? new Set()).add(to));
    }
    const cycles: string[] = [];
    const walk = (node: string, path: string[]) => {
      for (const to of next.get(node) ?? []) {
        if (to === path[0]) cycles.push([...path, to].join(' -> '));
        else if (!path.includes(to)) walk(to, [...path, to]);
      }
    };
    for (const node of next.keys()) walk(node, [node]);
    expect(cycles).toEqual([]);
  }, 120_000);

  it('keeps SQL on the access log tables inside src/access-log/', () => {
    const outside = filesUnder(join(root, 'src'))
      .filter((file) => !relative(root, file).startsWith('src/access-log/'))
      .filter((file) => /access_log_/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(root, file));
    expect(outside).toEqual([]);
  });
});
