// Types of package-build.mjs, for the tests that import it.
export declare const REPO_ROOT: string;
export declare const LIB_DIR: string;
export declare const PLAYER_ENTRY: string;
export declare function packageIsFresh(root?: string): boolean;
export declare function buildPackage(options?: {
  root?: string;
  force?: boolean;
  log?: (line: string) => void;
}): Promise<'up to date' | 'built'>;
