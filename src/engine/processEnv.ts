/**
 * Environment for a process that runs the engine. glibc raises its mmap threshold as large
 * blocks are freed, then keeps later large blocks (activations, logits) on the heap after they
 * are freed: RSS creeps up run after run. A fixed threshold returns such blocks to the system
 * at once (measured: steady RSS 980 MB → 755 MB on repeated full-cache runs of GPT-2 small).
 * glibc reads it at start-up, so it must be set before the process starts.
 */
export const ENGINE_PROCESS_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '131072',
};

export function withEngineEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, ...ENGINE_PROCESS_ENV };
}
