import type { StreamStatus } from '../generated/prisma/enums';
import { canChange, SAMPLED_STATUSES, STREAM_TRANSITIONS, type StreamStatusChange } from './stream-status';

const ALL: StreamStatus[] = ['ACTIVE', 'PAUSED', 'STOPPED', 'ERROR', 'ENDED', 'ARCHIVED'];
const NOT_ARCHIVED = ALL.filter((status) => status !== 'ARCHIVED');
const allowedFrom = (change: StreamStatusChange) => ALL.filter((status) => canChange(status, change));

describe('the stream transition table', () => {
  it('lets people start a stream that is not running, pause a running one and stop any that is not stopped', () => {
    expect(allowedFrom('start')).toEqual(['PAUSED', 'STOPPED', 'ERROR', 'ENDED']);
    expect(allowedFrom('pause')).toEqual(['ACTIVE', 'ERROR']);
    expect(allowedFrom('stop')).toEqual(['ACTIVE', 'PAUSED', 'ERROR', 'ENDED']);
  });

  it('never lets the sampling worker undo a pause or a stop', () => {
    for (const change of ['sourceRecovered', 'sourceFailed', 'sourceEnded'] as const) {
      expect(canChange('PAUSED', change)).toBe(false);
      expect(canChange('STOPPED', change)).toBe(false);
      expect(canChange('ENDED', change)).toBe(false);
      expect(allowedFrom(change)).toEqual(['ACTIVE', 'ERROR']);
    }
  });

  it('lets a worker’s replay restart only an ended stream, never a paused or stopped one', () => {
    expect(allowedFrom('replay')).toEqual(['ENDED']);
  });

  it('pauses only active streams for the budget, and stops any stream but an archived one for a moderator decision', () => {
    expect(allowedFrom('pauseOverBudget')).toEqual(['ACTIVE']);
    expect(allowedFrom('stopForDecision')).toEqual(NOT_ARCHIVED);
  });

  it('archives any stream not archived yet, and nothing moves an archived stream again', () => {
    expect(allowedFrom('archive')).toEqual(NOT_ARCHIVED);
    for (const change of Object.keys(STREAM_TRANSITIONS) as StreamStatusChange[]) {
      expect({ change, allowed: canChange('ARCHIVED', change) }).toEqual({ change, allowed: false });
    }
  });

  it('counts as sampled (workers run them, the quota counts them) exactly the statuses a worker samples and reports', () => {
    expect(SAMPLED_STATUSES).toEqual(['ACTIVE', 'ERROR']);
    expect(allowedFrom('sourceFailed')).toEqual([...SAMPLED_STATUSES]);
  });

  it('moves each change to one status', () => {
    expect(Object.fromEntries(Object.entries(STREAM_TRANSITIONS).map(([name, t]) => [name, t.to]))).toEqual({
      start: 'ACTIVE',
      replay: 'ACTIVE',
      pause: 'PAUSED',
      stop: 'STOPPED',
      archive: 'ARCHIVED',
      stopForDecision: 'STOPPED',
      pauseOverBudget: 'PAUSED',
      sourceRecovered: 'ACTIVE',
      sourceFailed: 'ERROR',
      sourceEnded: 'ENDED',
    });
  });
});
