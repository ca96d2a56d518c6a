import { describe, expect, it } from 'vitest';
import { claudeRowId } from './claude-code/adapter.js';
import { stableId } from './row.js';

describe('row ids', () => {
  it('stay what earlier versions wrote (a changed id would count a re-imported response twice)', () => {
    expect(claudeRowId('msg_A', 'req_A')).toBe('cc_SHjneXY_CSsXraNj5bW73tnHJeO');
    expect(stableId('cc_', 'msg_A', 'req_A')).toBe('cc_SHjneXY_CSsXraNj5bW73tnHJeO');
  });
});
