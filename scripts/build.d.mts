/** Compiles src/ to dist/ (see build.mjs). */
export declare function build(): void;
/** Builds dist/ when it is missing or older than a source. */
export declare function ensureBuilt(): void;
