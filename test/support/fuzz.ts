/**
 * Settings for the property-based tests (fast-check). In the suite the seed
 * is fixed, so a failure is the same on every machine; `npm run fuzz` runs
 * the same properties with a random seed (printed) and many more runs.
 * SEALPOST_FUZZ_SEED and SEALPOST_FUZZ_RUNS reproduce or lengthen a run.
 */
const DEFAULT_SEED = 20261207;

const seed = process.env.SEALPOST_FUZZ_SEED ? Number(process.env.SEALPOST_FUZZ_SEED) : DEFAULT_SEED;
const scale = process.env.SEALPOST_FUZZ_RUNS ? Number(process.env.SEALPOST_FUZZ_RUNS) : 1;

export const FUZZ = {
  seed,
  /** fast-check parameters: `runs` is the count in the suite, multiplied by SEALPOST_FUZZ_RUNS in a fuzz run. */
  params(runs = 200): { seed: number; numRuns: number; endOnFailure: true } {
    return { seed, numRuns: Math.max(1, Math.round(runs * scale)), endOnFailure: true };
  },
};
