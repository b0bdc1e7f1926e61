import { withBenchDatabase } from "./benchDatabase.js";
import { fanOut, liveLatency } from "./liveBench.js";

console.log(JSON.stringify(await withBenchDatabase("live", liveLatency)));
console.log(JSON.stringify(await withBenchDatabase("fan", fanOut)));
