/**
 * The {{variables}} Vigil itself fills in every instruction text, from the stream a window comes
 * from and its tenant. An instruction may use them without anyone supplying a value; any other
 * variable it names stays as written.
 */
export const VIGIL_VARIABLES = ['streamName', 'policy'] as const;

export interface VigilVariableSource {
  streamName: string;
  /** The tenant's moderation policy text. */
  policyText: string;
}

export function vigilVariables(
  source: VigilVariableSource,
): Record<(typeof VIGIL_VARIABLES)[number], string> {
  return { streamName: source.streamName, policy: source.policyText };
}
