import type { Figures } from './audit.js';
import { apiKillScenario, kafkaOutageScenario, mongoOutageScenario, temporalRestartScenario, twoOfEachScenario, workerKillScenario, type ScenarioContext } from './scenarios.js';

export type ScenarioId = '1' | '2' | '3' | '4' | '5' | '6';

/** The scenarios of issue #8 by number, as `npm run test:faults -- --only` names them. */
export const SCENARIOS: Record<ScenarioId, { title: string; run: (ctx: ScenarioContext) => Promise<Figures[]> }> = {
  '1': { title: 'SIGKILL a worker mid-run; SIGKILL the owner of a pinned host', run: workerKillScenario },
  '2': { title: 'SIGKILL and restart the API while clients submit', run: apiKillScenario },
  '3': { title: 'stop FerretDB (MongoDB wire) for a while', run: mongoOutageScenario },
  '4': { title: 'stop the Kafka broker for a while', run: kafkaOutageScenario },
  '5': { title: 'restart the Temporal dev server', run: temporalRestartScenario },
  '6': { title: 'two APIs and two workers at once', run: twoOfEachScenario },
};
