/**
 * Positional parameters for a hand-written statement composed from fragments of several owners
 * (a facts query): each fragment binds its values through `bind` and never splices them in.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * Turns a fragment with TypeORM-style named parameters (`:name`, as AccessService.scope makes)
 * into positional ones numbered after `offset`, for a statement written with `$n` placeholders.
 */
export function positional(
  sql: string,
  params: Record<string, unknown>,
  offset: number,
): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const index = new Map<string, number>();
  const text = sql.replace(/(?<!:):([A-Za-z_][A-Za-z0-9_]*)/g, (match, name: string) => {
    if (!(name in params)) return match;
    if (!index.has(name)) {
      values.push(params[name]);
      index.set(name, offset + values.length);
    }
    return `$${index.get(name)}`;
  });
  return { sql: text, values };
}
