/**
 * Glob patterns as VS Code's settings write them (`**`, `*`, `?`, `{a,b}`, `[abc]`), matched
 * against workspace-relative paths with `/` separators: for a saved file, whether the feature
 * index's include and exclude settings cover it (findFiles does the same for the scan itself).
 * Pure (no vscode).
 */

/** The pattern as an anchored regular expression; a malformed pattern (an unclosed brace or bracket) throws, naming it. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      const atStart = i === 0 || glob[i - 1] === '/';
      const slashAfter = glob[i + 2] === '/';
      if (atStart && slashAfter) {
        source += '(?:[^/]*/)*'; // `**/`: any number of folders, none included
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '{') {
      braces++;
      source += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      source += ')';
    } else if (c === ',' && braces > 0) source += '|';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) throw new Error(`the glob pattern ${JSON.stringify(glob)} has a [ without its ]`);
      const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
      source += `[${body}]`;
      i = end;
    } else source += c.replace(/[.+^$()|\\/\]}]/g, (m) => `\\${m}`);
  }
  if (braces > 0) throw new Error(`the glob pattern ${JSON.stringify(glob)} has a { without its }`);
  return new RegExp(`^${source}$`);
}

/** Whether a workspace-relative path matches the pattern. */
export function matchesGlob(path: string, glob: string): boolean {
  return globToRegExp(glob).test(path.replace(/\\/g, '/'));
}

/** Whether the index covers a workspace-relative path: it matches `include` and none of `exclude`. */
export function isIndexed(path: string, include: string, exclude: readonly string[]): boolean {
  return matchesGlob(path, include) && !exclude.some((pattern) => matchesGlob(path, pattern));
}

/**
 * The exclude patterns as one glob for findFiles (`{a,b}`): undefined when there are none, or when
 * one has braces itself (VS Code's globs do not nest them; the caller filters with isIndexed then).
 */
export function joinGlobs(patterns: readonly string[]): string | undefined {
  const kept = patterns.map((p) => p.trim()).filter((p) => p !== '');
  if (kept.length === 0) return undefined;
  if (kept.length === 1) return kept[0];
  return kept.some((p) => /[{}]/.test(p)) ? undefined : `{${kept.join(',')}}`;
}
