/** Types of scripts/stamps.mjs (plain JavaScript: it runs before anything is installed). */
export declare const INSTALL_STAMP: string;
export declare const BUILD_STAMP: string;
export declare function dependencyHash(root: string): string;
export declare function sourceHash(root: string, env?: Readonly<Record<string, string | undefined>>): string;
export declare function readStamp(root: string, stamp: string): string | null;
export declare function writeStamp(root: string, stamp: string, hash: string): void;
export declare function decide(
  root: string,
  env?: Readonly<Record<string, string | undefined>>,
): { install: string | null; build: string | null };
