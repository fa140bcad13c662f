/**
 * Instruction texts name variables as {{name}}. The system text is fixed (no variables), so the
 * prompt prefix stays byte-stable and vLLM's prefix cache hits (docs/principles.md, 4).
 */
const VARIABLE = /\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g;

export function variablesOf(text: string): string[] {
  return [...new Set([...text.matchAll(VARIABLE)].map((match) => match[1]!))];
}

export interface RenderedPrompt {
  text: string;
  missingVariables: string[];
  unusedVariables: string[];
}

export function renderTemplate(text: string, values: Record<string, string>): RenderedPrompt {
  const declared = variablesOf(text);
  const missingVariables = declared.filter((name) => !Object.hasOwn(values, name));
  const unusedVariables = Object.keys(values).filter((name) => !declared.includes(name));
  const rendered = text.replace(VARIABLE, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name]! : whole,
  );
  return { text: rendered, missingVariables, unusedVariables };
}
