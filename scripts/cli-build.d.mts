/** Types of scripts/cli-build.mjs (plain JavaScript: it runs before anything is compiled). */
export declare const REPO_ROOT: string;
export declare const CLI_ENTRY: string;
export declare const CLI_OUT_DIR: string;
export declare function cliIsFresh(root?: string): boolean;
export declare function buildCli(root?: string): Promise<number>;
export declare function compiledCli(root?: string): Promise<string | null>;
export declare const WORKER_ENTRY: string;
export declare function compiledWorker(root?: string): string | null;
