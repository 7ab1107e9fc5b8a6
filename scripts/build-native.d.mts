/** The native kernels' sources (native/). */
export declare const NATIVE_SOURCE_DIR: string;
/** Compiles native/*.c into <outDir>/native/snnc.node; null (reason in <outDir>/native/build.log) without a compiler or when the compile fails. */
export declare function buildNative(options?: { outDir?: string }): string | null;
