/** What one piece of a node's `content` turned out to be. */
export interface SplitPiece {
  reasoning: string;
  content: string;
}

const OPEN = '<think>';
const CLOSE = '</think>';

/**
 * Separates a Thinking model's reasoning from its answer when the node runs without a reasoning
 * parser, so both arrive in `content`: either `<think>…</think>answer` or, since the Thinking chat
 * template opens `<think>` in the prompt, `…</think>answer`. Fed the content deltas in order.
 *
 * Content that opens with `<think>` is reasoning as it arrives, up to `</think>`. Content that
 * opens with `{` or `[` is the answer. Anything else is held until a `</think>` shows that it was
 * reasoning, or the end shows that it was the answer after all (an Instruct model's plain text).
 * With a reasoning parser the content never holds these tags and passes through unchanged.
 */
export class ThinkSplitter {
  private mode: 'start' | 'thinking' | 'unmarked' | 'answer' = 'start';
  private held = '';
  private sawTags = false;

  /** Whether the content carried thinking tags (the node has no reasoning parser). */
  get foundThinking(): boolean {
    return this.sawTags;
  }

  /** Characters held back, not yet known to be reasoning or answer. */
  get heldLength(): number {
    return this.held.length;
  }

  feed(text: string): SplitPiece {
    if (this.mode === 'answer') return { reasoning: '', content: text };
    this.held += text;
    if (this.mode === 'start') {
      const start = this.held.trimStart();
      if (start === '') return NOTHING;
      if (start.startsWith(OPEN)) {
        this.mode = 'thinking';
        this.sawTags = true;
        this.held = start.slice(OPEN.length);
      } else if (OPEN.startsWith(start)) {
        return NOTHING; // perhaps the start of `<think>`: wait for more
      } else if (start[0] === '{' || start[0] === '[') {
        this.mode = 'answer';
        const content = this.held;
        this.held = '';
        return { reasoning: '', content };
      } else {
        this.mode = 'unmarked';
      }
    }
    const close = this.held.indexOf(CLOSE);
    if (close >= 0) {
      this.sawTags = true;
      const reasoning = this.held.slice(0, close);
      const content = this.held.slice(close + CLOSE.length);
      this.held = '';
      this.mode = 'answer';
      return { reasoning, content };
    }
    if (this.mode === 'thinking') {
      // Keep back what could be the beginning of a `</think>` split across deltas.
      const keep = partialTagLength(this.held);
      const reasoning = this.held.slice(0, this.held.length - keep);
      this.held = this.held.slice(this.held.length - keep);
      return { reasoning, content: '' };
    }
    return NOTHING;
  }

  /** The stream has ended: what is still held. Thinking never closed stays reasoning (it ran out). */
  end(): SplitPiece {
    const held = this.held;
    this.held = '';
    if (this.mode === 'thinking') return { reasoning: held, content: '' };
    return { reasoning: '', content: held };
  }
}

const NOTHING: SplitPiece = Object.freeze({ reasoning: '', content: '' });

/** Length of the longest end of `text` that is a beginning of `</think>`. */
function partialTagLength(text: string): number {
  for (let length = Math.min(CLOSE.length - 1, text.length); length > 0; length--) {
    if (CLOSE.startsWith(text.slice(text.length - length))) return length;
  }
  return 0;
}
