// The browser benchmark's page script (bundled by ../browser.mjs): this SDK (sdk/index.ts, browser
// build: WebCrypto only), the official browser SDK and the shared cases, run in the page.
import * as sdk from '../../sdk/index.ts';
import { officialBrowser } from '../browser-peer/official-browser.mjs';
import { CONTEXT, defineCases, describeCases, measureCases, runContender, wrappingKeyBytes } from '../sdk-cases.mjs';

globalThis.runSdkBench = async ({ reps, largeReps, minTime, groups }) => {
  const official = officialBrowser({ context: CONTEXT, wrappingKeyBytes });
  const built = await defineCases({ runtime: 'chromium', sdk, official });
  const results = await measureCases(describeCases(built.cases), {
    runBatch: (index, name, count) => runContender(built.cases, index, name, count),
    collectGarbage: globalThis.gc,
    now: () => performance.now(),
    reps,
    largeReps,
    minTime,
    groups,
    log: (line) => console.log(`progress: ${line}`),
  });
  return { results, failures: built.failures, frameLengths: built.frameLengths, userAgent: navigator.userAgent };
};
