import { describe, expect, it } from 'vitest';
import { taskIdsIn } from '../../src/api/service-tasks/index.js';
import { scheduleUiUrl, temporalLinkHeader, workflowUiUrl } from '../../src/domain/temporal-ui.js';

const ui = { uiUrl: 'http://127.0.0.1:8233/', namespace: 'default' };

describe('Temporal UI links', () => {
  it('point at a workflow, a schedule, and go in one Link header', () => {
    expect(workflowUiUrl(ui, 'job_1')).toBe('http://127.0.0.1:8233/namespaces/default/workflows/job_1');
    expect(workflowUiUrl(ui, 'a/b c')).toBe('http://127.0.0.1:8233/namespaces/default/workflows/a%2Fb%20c');
    expect(scheduleUiUrl(ui, 'sched-db-4')).toBe('http://127.0.0.1:8233/namespaces/default/schedules/sched-db-4');
    expect(temporalLinkHeader(['http://a/1', 'http://a/2'])).toBe('<http://a/1>; rel="temporal", <http://a/2>; rel="temporal"');
  });

  it('name the long-task tasks an answer is about (not the Invalid ones)', () => {
    expect(taskIdsIn({ task_id: 'ts_a_1' }, {})).toEqual(['ts_a_1']);
    expect(taskIdsIn({ status: [{ task_id: 'ts_a_1', status: 'running' }, { task_id: 'nope', status: 'Invalid' }] }, {})).toEqual(['ts_a_1']);
    expect(taskIdsIn({ status: { task_id: 'ts_a_2', status: 'finished' } }, {})).toEqual(['ts_a_2']);
    expect(taskIdsIn({ total: 2, data: [{ task_id: 'x' }, { task_id: 'y' }] }, {})).toEqual(['x', 'y']);
    expect(taskIdsIn({ data: null, start_time: null, end_time: null }, { data: { task_id: 'ts_a_3' } })).toEqual(['ts_a_3']);
    expect(taskIdsIn({ data: ['ocr', 'asr'] }, {})).toEqual([]);
  });
});
