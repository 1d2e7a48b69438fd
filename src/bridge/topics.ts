/** Topic matching as upstream's Bridge does it: exactly, or by one trailing wildcard (`a.b.*` matches `a.b.` and anything after). */
export function matches(pattern: string, topic: string): boolean {
  return pattern.endsWith(".*") ? topic.startsWith(pattern.slice(0, -1)) : pattern === topic;
}

/** The subscription pattern a delivery names (upstream sends the pattern, not the published topic). */
export function matchingPattern(patterns: readonly string[], topic: string): string | undefined {
  return patterns.find((p) => matches(p, topic));
}
