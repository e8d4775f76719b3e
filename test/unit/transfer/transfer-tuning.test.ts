import { describe, expect, it } from 'vitest';
import { DEFAULT_TUNING, transferTuningFrom } from '../../../src/transfer/transfer-tuning.js';

describe('transferTuningFrom (read at the edge, not in the pipeline)', () => {
  it('reads SNAPSTREAM_SEND_PIPE and SNAPSTREAM_PROGRESS_RECORD_MS from the env it is given', () => {
    expect(transferTuningFrom({})).toEqual(DEFAULT_TUNING);
    expect(transferTuningFrom({ SNAPSTREAM_SEND_PIPE: 'pipe', SNAPSTREAM_PROGRESS_RECORD_MS: '0' })).toEqual({ sendPipe: 'pipe', progressRecordMs: 0 });
    expect(transferTuningFrom({ SNAPSTREAM_SEND_PIPE: 'socket', SNAPSTREAM_PROGRESS_RECORD_MS: '50' })).toEqual({ sendPipe: 'socket', progressRecordMs: 50 });
    for (const bad of ['', 'soon', '-1']) expect(transferTuningFrom({ SNAPSTREAM_PROGRESS_RECORD_MS: bad }), bad).toEqual(DEFAULT_TUNING);
  });
});
