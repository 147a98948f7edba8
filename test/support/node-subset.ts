/**
 * For tests whose outcome does not depend on the Node version that runs them (a type check: tsc
 * answers the same on every Node). `scripts/test-node-versions.mjs` runs them with the whole suite,
 * and skips them in the subset it runs on the other Node versions (`SOCKETAPI_NODE_SUBSET=1`).
 */
const inSubset = process.env.SOCKETAPI_NODE_SUBSET === '1';

export const itOnceForAllNodes = inSubset ? it.skip : it;
export const describeOnceForAllNodes = inSubset ? describe.skip : describe;
