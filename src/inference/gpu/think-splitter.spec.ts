import { SplitPiece, ThinkSplitter } from './think-splitter';

/** Feeds the deltas and joins what comes out, the end included. */
function split(deltas: string[]): SplitPiece & { pieces: SplitPiece[]; foundThinking: boolean } {
  const splitter = new ThinkSplitter();
  const pieces = [...deltas.map((delta) => splitter.feed(delta)), splitter.end()];
  return {
    pieces,
    reasoning: pieces.map((piece) => piece.reasoning).join(''),
    content: pieces.map((piece) => piece.content).join(''),
    foundThinking: splitter.foundThinking,
  };
}

describe('ThinkSplitter: reasoning in content, from a node without a reasoning parser', () => {
  it('passes an answer that opens with JSON through as it arrives', () => {
    const result = split(['  {"objects"', ': []}']);
    expect(result).toMatchObject({ reasoning: '', content: '  {"objects": []}', foundThinking: false });
    expect(result.pieces[1]).toEqual({ reasoning: '', content: ': []}' });
  });

  it('separates <think>…</think> as it arrives, even with the tags split across deltas', () => {
    const result = split(['<thi', 'nk>\nThe first frame', ' shows a lawn.</th', 'ink>\n\n{"a":', '1}']);
    expect(result.reasoning).toBe('\nThe first frame shows a lawn.');
    expect(result.content).toBe('\n\n{"a":1}');
    expect(result.foundThinking).toBe(true);
    // Reasoning is let out before the closing tag arrives, so it can be shown live.
    expect(result.pieces[1]!.reasoning).toBe('\nThe first frame');
  });

  it('separates reasoning closed by </think> alone (the template opened <think> in the prompt)', () => {
    const result = split(['The frames show ', 'a person.\n</think>', '\n\n{"verdict": "safe"}']);
    expect(result.reasoning).toBe('The frames show a person.\n');
    expect(result.content).toBe('\n\n{"verdict": "safe"}');
    expect(result.foundThinking).toBe(true);
  });

  it('keeps unclosed thinking as reasoning: the model ran out before answering', () => {
    expect(split(['<think>I look at', ' frame 3'])).toMatchObject({
      reasoning: 'I look at frame 3',
      content: '',
    });
  });

  it('gives plain text without tags back as the answer (an Instruct model that did not answer JSON)', () => {
    expect(split(['Sure! Here is ', 'the analysis.'])).toMatchObject({
      reasoning: '',
      content: 'Sure! Here is the analysis.',
      foundThinking: false,
    });
  });

  it('holds unmarked text until it knows what it is, and says how much it holds', () => {
    const splitter = new ThinkSplitter();
    expect(splitter.feed('Thinking about it')).toEqual({ reasoning: '', content: '' });
    expect(splitter.heldLength).toBe('Thinking about it'.length);
  });
});
