/** Placeholder, replaced below. */
export async function density(_argv: readonly string[]): Promise<number> {
  return 0;
}
